// JUnit XML: one <testsuite> per vector file, one <testcase> per vector (name = id).

import type { RunReport, ResultEntry } from '../run.ts';
import { formatMismatch, PLAIN } from './pretty.ts';

export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

function testcase(r: ResultEntry): string {
  const head = `    <testcase name="${xmlEscape(r.id)}" classname="${xmlEscape(`${r.family}.${r.arch}.${r.mode}`)}" file="${xmlEscape(r.file)}" time="0"`;
  switch (r.verdict) {
    case 'pass':
      return `${head}/>`;
    case 'xfail':
      return `${head}>\n      <skipped message="${xmlEscape(`expected failure: ${r.reason ?? ''}`)}"/>\n    </testcase>`;
    case 'skip':
      return `${head}>\n      <skipped message="${xmlEscape(r.reason ?? '')}"/>\n    </testcase>`;
    case 'error':
      return `${head}>\n      <error message="${xmlEscape(r.reason ?? 'error')}" type="error"/>\n    </testcase>`;
    case 'xpass':
      return `${head}>\n      <failure message="${xmlEscape(r.reason ?? 'unexpected pass')}" type="xpass"/>\n    </testcase>`;
    case 'fail': {
      const text = (r.mismatches ?? []).flatMap((m) => formatMismatch(m, PLAIN)).join('\n');
      const first = r.mismatches?.[0];
      const msg = first
        ? `step ${first.step} ${first.op}: expected ${JSON.stringify(first.expected)}, got ${JSON.stringify(first.actual)}`
        : 'failed';
      return `${head}>\n      <failure message="${xmlEscape(msg)}" type="mismatch">${xmlEscape(`${r.description}\n${text}`)}</failure>\n    </testcase>`;
    }
  }
}

export function renderJunit(report: RunReport): string {
  const byFile = new Map<string, ResultEntry[]>();
  for (const r of report.results) {
    const rs = byFile.get(r.file);
    if (rs) rs.push(r);
    else byFile.set(r.file, [r]);
  }
  const s = report.summary;
  const suites = [...byFile]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([file, rs]) => {
      const count = (pred: (r: ResultEntry) => boolean) => rs.filter(pred).length;
      const attrs = `name="${xmlEscape(file)}" tests="${rs.length}" failures="${count((r) => r.verdict === 'fail' || r.verdict === 'xpass')}" errors="${count((r) => r.verdict === 'error')}" skipped="${count((r) => r.verdict === 'skip' || r.verdict === 'xfail')}" time="0"`;
      return `  <testsuite ${attrs}>\n${rs.map(testcase).join('\n')}\n  </testsuite>`;
    });
  const problems = report.problems.filter((p) => p.severity !== 'warning');
  if (problems.length) {
    const cases = problems.map(
      (p) =>
        `    <testcase name="${xmlEscape(`${p.file}#${p.pointer}`)}" classname="ptvec.invalid" time="0">\n      <error message="${xmlEscape(p.message)}" type="invalid-vector"/>\n    </testcase>`,
    );
    suites.push(
      `  <testsuite name="invalid vector files" tests="${problems.length}" failures="0" errors="${problems.length}" skipped="0" time="0">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  const failures = s.failed + s.xpassed;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="ptvec" tests="${s.total + problems.length}" failures="${failures}" errors="${s.errors + problems.length}" skipped="${s.skipped + s.xfailed}" time="0">\n${suites.join('\n')}\n</testsuites>\n`;
}
