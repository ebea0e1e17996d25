// The HTML of a 64-bit page-table entry that differs from the expected one: both values with the
// differing hex digits marked, the named fields that differ, and its 64 bits grouped by the fields of
// its format (vectors/arch). Also the escaping every part of the page uses.

import { archDescriptions, levelOf, type FieldDiff } from '../arch.ts';
import type { Field } from '../vectors/generated/arch.ts';

const ESC: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
/** Text or attribute value as HTML; control characters (other than tab and newline) are dropped. */
export const esc = (s: string | undefined): string =>
  (s ?? '')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .replace(/[&<>"']/g, (c) => ESC[c] ?? c);

/** Expected and observed hex on two lines, the differing digits marked. */
function hexPair(e: string, a: string): string {
  const digits = (s: string, other: string) =>
    [...s].map((c, i) => (c === other[i] ? esc(c) : `<mark class="hd">${esc(c)}</mark>`)).join('');
  return `<dl class="hex"><dt>expected</dt><dd><code class="exp">${digits(e, a)}</code></dd><dt>observed</dt><dd><code class="obs">${digits(a, e)}</code></dd></dl>`;
}

interface Segment {
  readonly hi: number;
  readonly lo: number;
  readonly field?: Field;
}

function segments(owner: readonly (Field | undefined)[], hi: number, lo: number): Segment[] {
  const out: Segment[] = [];
  for (let b = hi; b >= lo;) {
    const f = owner[b];
    let end = b;
    while (end - 1 >= lo && owner[end - 1] === f) end--;
    out.push(f ? { hi: b, lo: end, field: f } : { hi: b, lo: end });
    b = end - 1;
  }
  return out;
}

/** The 64 bits of an entry in two rows of 32 (bit 63 at the left), grouped by the fields of its format. */
export function bitDiagram(
  arch: string,
  mode: string,
  level: string,
  e: bigint,
  a: bigint,
): string {
  const d = archDescriptions().get(`${arch}-${mode}`);
  const lv = d && levelOf(d, level);
  const fmt = lv?.formats.find((f) => (e & BigInt(f.match.mask)) === BigInt(f.match.value));
  const owner: (Field | undefined)[] = Array<Field | undefined>(64).fill(undefined);
  for (const f of fmt?.fields ?? []) for (let b = f.bits[1]; b <= f.bits[0]; b++) owner[b] = f;
  const bit = (v: bigint, b: number) => Number((v >> BigInt(b)) & 1n);
  const differs = (b: number) => bit(e, b) !== bit(a, b);
  const cells = (hi: number, fn: (b: number) => string) =>
    Array.from({ length: 32 }, (_, i) => fn(hi - i)).join('');
  const valueRow = (label: string, v: bigint, hi: number) =>
    `<tr class="${label}"><th scope="row">${label}</th>${cells(hi, (b) => {
      const name = owner[b]?.name ?? 'no field';
      const tip = `bit ${b} (${name}): expected ${bit(e, b)}, observed ${bit(a, b)}`;
      return `<td class="bit${differs(b) ? ' diff' : ''}" data-bit="${b}" title="${esc(tip)}">${bit(v, b)}</td>`;
    })}</tr>`;
  const half = (hi: number): string => {
    const fieldCells = segments(owner, hi, hi - 31)
      .map((s) => {
        const w = s.hi - s.lo + 1;
        const f = s.field;
        const hit = Array.from({ length: w }, (_, i) => differs(s.lo + i)).some(Boolean);
        const name = f?.name ?? '';
        const range = f
          ? f.bits[0] === f.bits[1]
            ? `bit ${f.bits[0]}`
            : `bits ${f.bits[0]}:${f.bits[1]}`
          : `bits ${s.hi}:${s.lo}`;
        const tip = f
          ? `${f.name}, ${range} (${f.kind}${f.linux ? `, ${f.linux}` : ''}): ${f.description}`
          : `${range}: no field of this format`;
        const vertical = name.length > 4 * w - 1 ? ' vert' : '';
        return `<td class="field${f ? '' : ' gap'}${hit ? ' diff' : ''}${vertical}" colspan="${w}" title="${esc(tip)}"><span>${esc(name)}</span></td>`;
      })
      .join('');
    return `<tbody><tr class="num"><th scope="row">bit</th>${cells(hi, (b) => `<td>${b}</td>`)}</tr><tr class="fields"><th scope="row">field</th>${fieldCells}</tr>${valueRow('expected', e, hi)}${valueRow('observed', a, hi)}<tr class="marks"><th scope="row">differs</th>${cells(hi, (b) => (differs(b) ? `<td class="mark" data-bit="${b}">≠</td>` : '<td></td>'))}</tr></tbody>`;
  };
  const what = lv
    ? `${esc(level)} entry (${esc(lv.arch)})${fmt ? `, format <b>${esc(fmt.name)}</b>` : ', no format matches the expected value'}`
    : `${esc(level)} entry (no arch description for ${esc(arch)} ${esc(mode)})`;
  return `<table class="bits"><caption>${what}</caption>${half(63)}${half(31)}</table>`;
}

// ---- one vector ----------------------------------------------------------------------------------------

function fieldsTable(fields: readonly FieldDiff[]): string {
  if (!fields.length) return '';
  const rows = fields
    .map((f) => {
      const bits = f.bits[0] === f.bits[1] ? `${f.bits[0]}` : `${f.bits[0]}:${f.bits[1]}`;
      return `<tr><th scope="row">${esc(f.name)}</th><td>${bits}</td><td><code>${esc(f.expected)}</code></td><td><code>${esc(f.actual)}</code></td></tr>`;
    })
    .join('');
  return `<table class="fieldlist"><caption>Fields that differ</caption><thead><tr><th scope="col">field</th><th scope="col">bits</th><th scope="col">expected</th><th scope="col">observed</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** An entry of `level` that differs: the two values, the fields that differ, the bit diagram. */
export function entryHtml(
  arch: string,
  mode: string,
  level: string,
  e: string,
  a: string,
  fields: readonly FieldDiff[],
): string {
  return `<div class="side">${hexPair(e, a)}${fieldsTable(fields)}</div>${bitDiagram(arch, mode, level, BigInt(e), BigInt(a))}`;
}
