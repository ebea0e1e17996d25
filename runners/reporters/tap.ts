// TAP version 14: one test point per vector; skips and expected failures use the SKIP / TODO directives.

import type { Json } from '../adapter.ts';
import type { RunReport } from '../run.ts';
import { formatMismatch, PLAIN } from './pretty.ts';

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/#/g, '\\#').replace(/\n/g, ' ');

/** The YAML diagnostics block; each value as JSON, which is YAML (a flow scalar or collection). */
function yamlBlock(fields: Readonly<Record<string, Json>>): string[] {
  const lines = ['  ---'];
  for (const [k, v] of Object.entries(fields)) lines.push(`  ${k}: ${JSON.stringify(v)}`);
  lines.push('  ...');
  return lines;
}

export function renderTap(report: RunReport): string {
  const problems = report.problems.filter((p) => p.severity !== 'warning');
  const out = ['TAP version 14', `1..${report.results.length + problems.length}`];
  let n = 0;
  for (const r of report.results) {
    n++;
    const name = `${esc(r.id)}`;
    switch (r.verdict) {
      case 'pass':
        out.push(`ok ${n} - ${name}`);
        break;
      case 'skip':
        out.push(`ok ${n} - ${name} # SKIP ${esc(r.reason ?? '')}`);
        break;
      case 'xfail':
        out.push(`not ok ${n} - ${name} # TODO ${esc(r.reason ?? '')}`);
        break;
      case 'xpass':
      case 'error':
        out.push(
          `not ok ${n} - ${name}`,
          ...yamlBlock({ verdict: r.verdict, message: r.reason ?? '', file: r.file }),
        );
        break;
      case 'fail': {
        const m = r.mismatches?.[0];
        out.push(
          `not ok ${n} - ${name}`,
          ...yamlBlock({
            message: r.description,
            file: r.file,
            at: m?.pointer ?? '',
            expected: m?.expected ?? null,
            actual: m?.actual ?? null,
            // Every mismatch as the pretty report says it: where it first differs, which bits.
            detail: (r.mismatches ?? []).flatMap((x) => formatMismatch(x, PLAIN)).join('\n'),
          }),
        );
        break;
      }
    }
  }
  for (const p of problems) {
    n++;
    out.push(
      `not ok ${n} - invalid ${esc(p.file)}`,
      ...yamlBlock({ message: p.message, file: p.file, at: p.pointer }),
    );
  }
  return out.join('\n') + '\n';
}
