// The human reporter: each failing vector with the fields that differ by name, then the summary.
// Colour only on a terminal, and never with NO_COLOR or in CI.

import type { Json } from '../adapter.ts';
import { firstDifference, HEX64, type Mismatch } from '../compare.ts';
import type { ResultEntry, RunReport } from '../run.ts';
import type { Problem } from '../vectors/files.ts';
import { counted, quote, shorten } from '../vectors/quote.ts';

export interface Style {
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
}
const plain = (s: string) => s;
export const PLAIN: Style = { red: plain, green: plain, yellow: plain, dim: plain, bold: plain };
const sgr = (code: number) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;
export const COLOUR: Style = {
  red: sgr(31),
  green: sgr(32),
  yellow: sgr(33),
  dim: sgr(2),
  bold: sgr(1),
};

// Long values are cut here; the JSON report holds them whole.
const SHOWN = 300;
const show = (v: Json): string => quote(v, SHOWN);

function bitsLabel(f: { name: string; bits: readonly [number, number] }): string {
  const [hi, lo] = f.bits;
  if (f.name === `bit${hi}`) return `bit ${hi}`;
  return hi === lo ? `bit ${hi} ${f.name}` : `bits ${hi}:${lo} ${f.name}`;
}

/**
 * What may be wrong with the spelling of an answer where the vector has a Hex64: a hex string not
 * written as values are ("0x867": perhaps all that differs), or a JSON number, which JSON.parse
 * rounds beyond 2^53 - 1.
 */
export function hexHint(expected: Json | undefined, actual: Json | undefined): string | undefined {
  if (typeof expected !== 'string' || !HEX64.test(expected)) return undefined;
  if (typeof actual === 'number') {
    const rounded =
      Number.isInteger(actual) && !Number.isSafeInteger(actual)
        ? `; JSON numbers this large (beyond 2^53 - 1) lose precision, so ${quote(actual)} may not be the number sent`
        : '';
    return `${quote(actual)} is a JSON number: a hex string ("0x" and 16 lowercase hex digits) is expected${rounded}`;
  }
  if (typeof actual !== 'string' || HEX64.test(actual) || !/^0x[0-9a-fA-F]{1,16}$/.test(actual))
    return undefined;
  const same = BigInt(expected) === BigInt(actual) ? ': the number is the same' : '';
  return `${quote(actual)} is not written as values are (0x and 16 lowercase hex digits)${same}`;
}

export function formatMismatch(m: Mismatch, st: Style): string[] {
  const lines = [`  step ${m.step} ${m.op}: expected ${show(m.expected)}, got ${show(m.actual)}`];
  // A structured result: say where it first differs (a short one too: `level` among four members).
  const d =
    typeof m.expected === 'object' && m.expected !== null && !('either' in m.expected)
      ? firstDifference(m.expected, m.actual)
      : undefined;
  if (d && d.path !== '')
    lines.push(
      `    first difference at ${d.path}: expected ${d.expected === undefined ? 'nothing' : show(d.expected)}, got ${d.actual === undefined ? 'nothing' : show(d.actual)}`,
    );
  const spelling = d ? hexHint(d.expected, d.actual) : hexHint(m.expected, m.actual);
  if (spelling) lines.push(`    ${spelling}`);
  for (const f of m.fields ?? []) {
    const e = BigInt(f.expected);
    const a = BigInt(f.actual);
    const fmt = (x: bigint) =>
      f.bits[0] === f.bits[1] || x < 10n ? x.toString() : '0x' + x.toString(16);
    lines.push(st.dim(`    ${bitsLabel(f)}: expected ${fmt(e)}, got ${fmt(a)}`));
  }
  lines.push(st.dim(`    at ${m.pointer}`));
  return lines;
}

function verdictLine(r: ResultEntry, st: Style): string {
  const tag =
    r.verdict === 'error' || r.verdict === 'xpass'
      ? st.red(r.verdict.toUpperCase())
      : st.red('FAIL');
  return `${tag} ${st.bold(r.id)} ${st.dim(`(${r.file})`)}\n  ${shorten(r.description, SHOWN)}`;
}

/** A problem on one line: its place and message cut to a readable length. */
export function problemLine(p: Problem): string {
  const where = p.pointer === '' ? p.file : `${p.file}#${shorten(p.pointer, SHOWN)}`;
  // A problem of no one file (a shard missing from a merge) is its message alone.
  return `${where === '' ? '' : `${where}: `}${shorten(p.message, 2 * SHOWN)}`;
}

export function renderPretty(report: RunReport, st: Style): string {
  const out: string[] = [];
  for (const p of report.problems)
    out.push(
      `${p.severity === 'warning' ? st.yellow('warning') : st.red('invalid')} ${problemLine(p)}`,
    );
  for (const r of report.results) {
    if (r.verdict === 'fail') {
      out.push(verdictLine(r, st));
      for (const m of r.mismatches ?? []) out.push(...formatMismatch(m, st));
    } else if (r.verdict === 'error' || r.verdict === 'xpass') {
      out.push(verdictLine(r, st), `  ${shorten(r.reason ?? '', 2 * SHOWN)}`);
    }
  }
  const skips = new Map<string, number>();
  for (const r of report.results)
    if (r.verdict === 'skip') skips.set(r.reason ?? '', (skips.get(r.reason ?? '') ?? 0) + 1);
  for (const [reason, n] of [...skips].sort((a, b) => b[1] - a[1]).slice(0, 10))
    out.push(st.yellow(`skipped ${n}: ${shorten(reason, SHOWN)}`));
  if (skips.size > 10)
    out.push(st.yellow(`skipped: ${skips.size - 10} more reasons (see the JSON report)`));
  const s = report.summary;
  const parts = [
    st.green(`${s.passed} passed`),
    s.failed ? st.red(`${s.failed} failed`) : `${s.failed} failed`,
    `${s.skipped} skipped`,
    `${s.xfailed} xfailed`,
    s.xpassed ? st.red(`${s.xpassed} xpassed`) : `${s.xpassed} xpassed`,
    s.errors ? st.red(counted(s.errors, 'error')) : counted(s.errors, 'error'),
  ];
  const invalid = report.problems.filter((p) => p.severity !== 'warning').length;
  if (invalid) parts.push(st.red(`${invalid} invalid`));
  if (report.stopped !== undefined)
    out.push(st.red(`the run ended early: ${shorten(report.stopped, SHOWN)}`));
  out.push(
    `${st.bold(counted(s.total, 'vector'))} against ${report.implementation.name}: ${parts.join(', ')}`,
  );
  return out.join('\n') + '\n';
}
