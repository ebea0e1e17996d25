// The HTML report: one self-contained page (inline CSS, a little inline JS, no external resource) for a
// person to read in a browser. Everything is rendered here; the script only hides and shows. Passing
// vectors appear only as counts, so a run of thousands of vectors stays a small page. Every string
// from a vector file or an implementation is escaped. No date: the same report gives the same page.

import type { Json } from '../adapter.ts';
import { archDescriptions, levelOf } from '../arch.ts';
import { HEX64, jsonEqual, own, type Mismatch } from '../compare.ts';
import { exitCode, type ResultEntry, type RunReport, type StepRecord } from '../run.ts';
import type { Field } from '../vectors/generated/arch.ts';
import { familyNames } from '../vectors/schemas.ts';
import { shorten } from '../vectors/quote.ts';

type JsonObject = { readonly [k: string]: Json };

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

const VERDICT_LABEL: Readonly<Record<string, string>> = {
  pass: 'PASS',
  fail: 'FAIL',
  skip: 'SKIP',
  xfail: 'XFAIL',
  xpass: 'XPASS',
  error: 'ERROR',
};
const LISTED = ['fail', 'xpass', 'error', 'xfail', 'skip'] as const;
const ARCH_ORDER = ['x86_64', 'arm64', 'riscv64'];

const isObject = (j: Json | undefined): j is JsonObject =>
  typeof j === 'object' && j !== null && !Array.isArray(j);
const ranked = (order: readonly string[]) => (a: string, b: string) => {
  const ra = order.includes(a) ? order.indexOf(a) : order.length;
  const rb = order.includes(b) ? order.indexOf(b) : order.length;
  return ra - rb || a.localeCompare(b, 'en', { numeric: true });
};
const cellKey = (r: { family: string; arch: string; mode: string }) =>
  `${r.family} ${r.arch} ${r.mode}`;
const anchor = (key: string) => `cell-${key.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = out.get(k);
    if (list) list.push(x);
    else out.set(k, [x]);
  }
  return out;
}
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

// ---- values ----------------------------------------------------------------------------------------

/** The longest value text shown: a page is read, and an answer may be 4 MiB nested 61 deep. */
const MAX_VALUE_TEXT = 64 * 1024;

/**
 * A JSON value as text: 64-bit hex without quotes, small values on one line, larger ones indented
 * and cut to MAX_VALUE_TEXT (the JSON report has them whole). Indenting costs two characters per
 * level on every line, so a value is indented only when its flat text is short enough for that.
 */
function jsonText(v: Json | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'string' && HEX64.test(v)) return v;
  const flat = JSON.stringify(v);
  if (flat.length <= 72) return flat;
  const text = flat.length <= MAX_VALUE_TEXT / 8 ? JSON.stringify(v, null, 2) : flat;
  return shorten(text, MAX_VALUE_TEXT);
}
const value = (v: Json | undefined): string => {
  const t = jsonText(v);
  return t.includes('\n')
    ? `<pre class="val">${esc(t)}</pre>`
    : `<code class="val">${esc(t)}</code>`;
};

function argsHtml(args: Json): string {
  if (!isObject(args)) return value(args);
  const keys = Object.keys(args);
  if (!keys.length) return '<span class="none">none</span>';
  return keys
    .map((k) => `<div class="arg"><span class="k">${esc(k)}</span> ${value(args[k])}</div>`)
    .join('');
}

function expectHtml(e: Json | undefined): string {
  if (!isObject(e)) return '<span class="none">no expectation</span>';
  if ('result' in e) return value(e.result);
  const either = e.either;
  if (Array.isArray(either))
    return `<div class="alt">either one of:</div><ul class="alts">${either.map((x: Json) => `<li>${expectHtml(x)}</li>`).join('')}</ul>`;
  const by = e.byChoice;
  if (isObject(by) && isObject(by.cases)) {
    const cases = by.cases;
    return `<div class="alt">by choice <code>${esc(String(by.choice))}</code>:</div><ul class="alts">${Object.keys(
      cases,
    )
      .map((c) => `<li><code>${esc(c)}</code> → ${expectHtml(cases[c])}</li>`)
      .join('')}</ul>`;
  }
  return value(e);
}

function observedHtml(o: StepRecord['observed']): string {
  if (o === undefined) return '<span class="none">no answer</span>';
  if ('unsupported' in o) return `<span class="unsup">unsupported: ${esc(o.unsupported)}</span>`;
  return value(o.result);
}

/** Expected and observed hex on two lines, the differing digits marked. */
function hexPair(e: string, a: string): string {
  const digits = (s: string, other: string) =>
    [...s].map((c, i) => (c === other[i] ? esc(c) : `<mark class="hd">${esc(c)}</mark>`)).join('');
  return `<dl class="hex"><dt>expected</dt><dd><code class="exp">${digits(e, a)}</code></dd><dt>observed</dt><dd><code class="obs">${digits(a, e)}</code></dd></dl>`;
}

/** Where two JSON values differ, as [pointer, expected, actual]; at most `limit` places. */
function jsonDiffs(
  e: Json | undefined,
  a: Json | undefined,
  at = '',
  out: [string, Json | undefined, Json | undefined][] = [],
  limit = 40,
) {
  if (out.length >= limit || (e !== undefined && a !== undefined && jsonEqual(e, a))) return out;
  const bothArrays = Array.isArray(e) && Array.isArray(a);
  if (bothArrays || (isObject(e) && isObject(a))) {
    const eo = e as Readonly<Record<string, Json>>;
    const ao = a as Readonly<Record<string, Json>>;
    const keys = bothArrays
      ? [...Array(Math.max((e as Json[]).length, (a as Json[]).length)).keys()].map(String)
      : [...new Set([...Object.keys(eo), ...Object.keys(ao)])];
    for (const k of keys)
      jsonDiffs(
        own(eo, k),
        own(ao, k),
        `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        out,
        limit,
      );
  } else out.push([at || '/', e, a]);
  return out;
}

// ---- the bit-field diagram ---------------------------------------------------------------------------

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

function fieldsTable(m: Mismatch): string {
  if (!m.fields?.length) return '';
  const rows = m.fields
    .map((f) => {
      const bits = f.bits[0] === f.bits[1] ? `${f.bits[0]}` : `${f.bits[0]}:${f.bits[1]}`;
      return `<tr><th scope="row">${esc(f.name)}</th><td>${bits}</td><td><code>${esc(f.expected)}</code></td><td><code>${esc(f.actual)}</code></td></tr>`;
    })
    .join('');
  return `<table class="fieldlist"><caption>Fields that differ</caption><thead><tr><th scope="col">field</th><th scope="col">bits</th><th scope="col">expected</th><th scope="col">observed</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function mismatchHtml(r: ResultEntry, m: Mismatch, withValues: boolean): string {
  const head = `<h4>step ${m.step} <code>${esc(m.op)}</code> <span class="at">at ${esc(r.file)}#${esc(m.pointer)}</span></h4>`;
  const e = m.expected;
  const a = m.actual;
  if (
    m.level !== undefined &&
    typeof e === 'string' &&
    typeof a === 'string' &&
    HEX64.test(e) &&
    HEX64.test(a)
  )
    return `<div class="mm">${head}<div class="side">${hexPair(e, a)}${fieldsTable(m)}</div>${bitDiagram(r.arch, r.mode, m.level, BigInt(e), BigInt(a))}</div>`;
  const alternatives = isObject(e) && ('either' in e || 'byChoice' in e);
  const diffs = alternatives ? [] : jsonDiffs(e, a);
  const where =
    diffs.length && (isObject(e) || Array.isArray(e))
      ? `<table class="jdiff"><caption>Where they differ</caption><thead><tr><th scope="col">at</th><th scope="col">expected</th><th scope="col">observed</th></tr></thead><tbody>${diffs
          .map(
            ([p, x, y]) =>
              `<tr><th scope="row"><code>${esc(p)}</code></th><td>${x === undefined ? '<span class="none">absent</span>' : value(x)}</td><td>${y === undefined ? '<span class="none">absent</span>' : value(y)}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : '';
  const values = withValues
    ? `<dl class="pair"><dt>expected</dt><dd>${value(e)}</dd><dt>observed</dt><dd>${value(a)}</dd></dl>`
    : '';
  return `<div class="mm">${head}${values}${where}</div>`;
}

function stepsTable(steps: readonly StepRecord[], bad: ReadonlySet<number>): string {
  const rows = steps
    .map((s, i) => {
      const hasExpect = s.expect !== undefined;
      const status = bad.has(i)
        ? '<span class="st bad">✗ differs</span>'
        : !hasExpect
          ? '<span class="st">–</span>'
          : s.observed === undefined
            ? '<span class="st">–</span>'
            : 'unsupported' in s.observed
              ? '<span class="st">unsupported</span>'
              : '<span class="st ok">✓ matches</span>';
      const op = `<code>${esc(s.op)}</code>${s.name === undefined ? '' : ` <span class="name">as ${esc(s.name)}</span>`}`;
      return `<tr${bad.has(i) ? ' class="mismatch"' : ''}><th scope="row">${i}</th><td>${op}</td><td>${argsHtml(s.args)}</td><td>${expectHtml(s.expect)}</td><td>${hasExpect || s.observed !== undefined ? observedHtml(s.observed) : ''}</td><td>${status}</td></tr>`;
    })
    .join('');
  return `<table class="steps"><caption>Steps</caption><thead><tr><th scope="col">#</th><th scope="col">op</th><th scope="col">args</th><th scope="col">expected</th><th scope="col">observed</th><th scope="col">status</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function vectorHtml(r: ResultEntry, n: number): string {
  const mismatches = r.mismatches ?? [];
  const bad = new Set(mismatches.map((m) => m.step));
  const steps = r.steps?.length ? stepsTable(r.steps, bad) : '';
  // A report read back from JSON (ptvec merge) has no descriptions.
  const desc = r.description ? `<p class="desc">${esc(r.description)}</p>` : '';
  return `<article class="item vec" id="v-${n}" data-id="${esc(r.id)}" data-verdict="${esc(r.verdict)}" data-cell="${esc(cellKey(r))}">
<h3><span class="badge ${esc(r.verdict)}">${VERDICT_LABEL[r.verdict] ?? esc(r.verdict)}</span> <code class="vid">${esc(r.id)}</code></h3>
<p class="file"><code>${esc(r.file)}</code> · ${esc(r.arch)} ${esc(r.mode)} · ${esc(r.family)}</p>
${desc}
${r.reason === undefined ? '' : `<p class="reason"><b>${r.verdict === 'xfail' ? 'Expected to fail' : 'Reason'}:</b> <span class="rtext">${esc(r.reason)}</span></p>`}
${steps}${mismatches.map((m) => mismatchHtml(r, m, !steps)).join('')}</article>`;
}

// ---- the conformance matrix ----------------------------------------------------------------------------

type Tally = Record<ResultEntry['verdict'] | 'total', number>;
const tally = (): Tally => ({ total: 0, pass: 0, fail: 0, xpass: 0, error: 0, xfail: 0, skip: 0 });
const badOf = (t: Tally) => t.fail + t.xpass + t.error;
const STATES = {
  ok: ['✓', 'all passed'],
  bad: ['✗', 'some failed, passed unexpectedly or errored'],
  mixed: ['◐', 'no failures; some skipped or failed as expected'],
  skip: ['○', 'only skipped'],
  empty: ['–', 'no vectors'],
} as const;
function state(t: Tally): keyof typeof STATES {
  if (t.total === 0) return 'empty';
  if (badOf(t)) return 'bad';
  if (t.pass === t.total) return 'ok';
  return t.skip === t.total ? 'skip' : 'mixed';
}

function cellHtml(t: Tally, key: string, href: string | undefined, attr: string, cls = ''): string {
  const st = state(t);
  const [mark, meaning] = STATES[st];
  if (st === 'empty') return `<td class="c empty${cls}" ${attr} title="${meaning}">–</td>`;
  const extra = (
    [
      ['fail', 'failed'],
      ['xpass', 'xpassed'],
      ['error', 'errored'],
      ['xfail', 'xfailed'],
      ['skip', 'skipped'],
    ] as const
  )
    .map(([k, label]) => (t[k] ? `${t[k]} ${label}` : ''))
    .filter(Boolean)
    .join(' · ');
  const text = `<span class="mk">${mark}</span> ${t.pass}/${t.total}`;
  const link = href ? `<a href="${href}" data-cell="${esc(key)}">${text}</a>` : text;
  return `<td class="c ${st}${cls}" ${attr} title="${esc(`${key || 'all'}: ${t.pass} of ${t.total} passed; ${meaning}`)}">${link}${extra ? `<small>${extra}</small>` : ''}</td>`;
}

function matrixHtml(results: readonly ResultEntry[]): string {
  const families = [...new Set(results.map((r) => r.family))].sort(ranked(familyNames()));
  const arches = [...new Set(results.map((r) => r.arch))].sort(ranked(ARCH_ORDER));
  const cols = arches.flatMap((arch) =>
    [...new Set(results.filter((r) => r.arch === arch).map((r) => r.mode))]
      .sort(ranked([]))
      .map((mode) => ({ arch, mode, key: `${arch} ${mode}` })),
  );
  const cells = new Map<string, Tally>();
  const at = (k: string) => cells.get(k) ?? cells.set(k, tally()).get(k)!;
  for (const r of results)
    for (const k of [cellKey(r), `f:${r.family}`, `c:${r.arch} ${r.mode}`, 'all']) {
      const t = at(k);
      t.total++;
      t[r.verdict]++;
    }
  // Where a cell's vectors are listed: its group of failures, else the expected failures or skips.
  const href = (key: string, t: Tally) =>
    badOf(t) ? `#${anchor(key)}` : t.xfail ? '#xfailed' : t.skip ? '#skipped' : undefined;
  const head1 = arches
    .map(
      (a) =>
        `<th scope="colgroup" colspan="${cols.filter((c) => c.arch === a).length}">${esc(a)}</th>`,
    )
    .join('');
  const head2 = cols.map((c) => `<th scope="col">${esc(c.mode)}</th>`).join('');
  const body = families
    .map((f) => {
      const row = cols
        .map((c) => {
          const key = `${f} ${c.key}`;
          return cellHtml(at(key), key, href(key, at(key)), `data-cell="${esc(key)}"`);
        })
        .join('');
      return `<tr><th scope="row">${esc(f)}</th>${row}${cellHtml(at(`f:${f}`), f, undefined, `data-total="${esc(f)}"`, ' tot')}</tr>`;
    })
    .join('');
  const foot = cols
    .map((c) => cellHtml(at(`c:${c.key}`), c.key, undefined, `data-total="${esc(c.key)}"`, ' tot'))
    .join('');
  const legend = Object.entries(STATES)
    .map(([k, [mark, meaning]]) => `<li><span class="c ${k}">${mark}</span> ${meaning}</li>`)
    .join('');
  return `<div class="scroll"><table class="matrix"><caption>Passed / total, per op family and arch+mode</caption><thead><tr><td rowspan="2"></td>${head1}<th scope="col" rowspan="2">all</th></tr><tr>${head2}</tr></thead><tbody>${body}</tbody><tfoot><tr><th scope="row">all</th>${foot}${cellHtml(at('all'), 'all', undefined, 'data-total="all"', ' tot')}</tr></tfoot></table></div><ul class="legend">${legend}</ul>`;
}

// ---- the page -------------------------------------------------------------------------------------------

function headerHtml(report: RunReport): string {
  const s = report.summary;
  const code = exitCode(report);
  const verdict =
    report.stopped !== undefined
      ? ['bad', '✗ STOPPED', `the run ended early: ${esc(report.stopped)}`]
      : code === 2
        ? ['bad', '✗ INVALID INPUT', 'some vector files could not be judged (exit status 2)']
        : code === 1
          ? ['bad', '✗ FAIL', 'vectors failed, passed unexpectedly or errored (exit status 1)']
          : [
              'ok',
              '✓ PASS',
              'every vector passed, was skipped or failed as expected (exit status 0)',
            ];
  const impl = report.implementation;
  const tiles = (
    ['total', 'passed', 'failed', 'skipped', 'xfailed', 'xpassed', 'errors', 'problems'] as const
  )
    .map((k) => {
      const hot = s[k] > 0 && ['failed', 'xpassed', 'errors', 'problems'].includes(k);
      return `<li id="sum-${k}" class="tile${hot ? ' hot' : ''}"><span class="n">${s[k]}</span> <span class="l">${k}</span></li>`;
    })
    .join('');
  return `<header><h1>ptvec conformance report</h1>
<dl class="meta"><dt>implementation</dt><dd><b>${esc(impl.name)}</b>${impl.version === undefined ? '' : ` ${esc(impl.version)}`}</dd><dt>ptvec</dt><dd>${esc(report.tool.version)}</dd>${report.shard === undefined ? '' : `<dt>shard</dt><dd>${esc(report.shard)}</dd>`}</dl>
<p id="verdict" class="verdict ${verdict[0]}"><b>${verdict[1]}</b> ${verdict[2]}</p>
<ul class="summary" aria-label="summary">${tiles}</ul></header>`;
}

function skippedHtml(skips: readonly ResultEntry[]): string {
  if (!skips.length) return '<p class="none">No vector was skipped.</p>';
  const rows = [...groupBy(skips, (r) => r.reason ?? '')]
    .sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))
    .map(
      ([reason, rs]) =>
        `<tr class="group"><td class="n">${rs.length}</td><td><details><summary class="rtext">${esc(reason || '(no reason given)')}</summary><ul class="ids">${rs.map((r) => `<li class="item" data-id="${esc(r.id)}" data-verdict="skip" data-cell="${esc(cellKey(r))}"><code>${esc(r.id)}</code></li>`).join('')}</ul></details></td></tr>`,
    )
    .join('');
  return `<table class="skips"><thead><tr><th scope="col">vectors</th><th scope="col">reason</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function problemsHtml(report: RunReport): string {
  if (!report.problems.length) return '<p class="none">Every vector file was valid.</p>';
  return `<ul class="problems">${report.problems
    .map((p) => {
      const warn = p.severity === 'warning';
      const where = p.pointer === '' ? p.file : `${p.file}#${p.pointer}`;
      return `<li><span class="badge ${warn ? 'skip' : 'error'}">${warn ? 'WARNING' : 'INVALID'}</span> <code>${esc(where)}</code>: <span class="rtext">${esc(p.message)}</span></li>`;
    })
    .join('')}</ul>`;
}

export function renderHtml(report: RunReport): string {
  const results = report.results;
  const failing = results.filter(
    (r) => r.verdict === 'fail' || r.verdict === 'xpass' || r.verdict === 'error',
  );
  const xfailed = results.filter((r) => r.verdict === 'xfail');
  const skipped = results.filter((r) => r.verdict === 'skip');
  const index = new Map(results.map((r, i) => [r, i]));
  const groups = groupBy(
    [...failing].sort(
      (a, b) =>
        ranked(familyNames())(a.family, b.family) ||
        ranked(ARCH_ORDER)(a.arch, b.arch) ||
        ranked([])(a.mode, b.mode),
    ),
    cellKey,
  );
  const failHtml = failing.length
    ? [...groups]
        .map(
          ([key, rs]) =>
            `<section class="group" id="${anchor(key)}"><h3 class="cellhead">${esc(key)} <span class="count">${plural(rs.length, 'vector')}</span></h3>${rs.map((r) => vectorHtml(r, index.get(r) ?? 0)).join('\n')}</section>`,
        )
        .join('\n')
    : '<p class="none">No vector failed, passed unexpectedly or errored.</p>';
  const byVerdict = (v: string) => results.filter((r) => r.verdict === v).length;
  const toggles = LISTED.map(
    (v) =>
      `<label class="tog"><input type="checkbox" name="verdict" value="${v}" checked> <span class="badge ${v}">${VERDICT_LABEL[v]}</span> ${byVerdict(v)}</label>`,
  ).join('');
  const title = `ptvec: ${report.implementation.name}: ${report.summary.passed}/${report.summary.total} passed`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ptvec ${esc(report.tool.version)}">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>${headerHtml(report)}
<nav aria-label="sections"><a href="#matrix">Conformance</a> <a href="#failures">Failures (${failing.length})</a> <a href="#xfailed">Expected failures (${xfailed.length})</a> <a href="#skipped">Skipped (${skipped.length})</a> <a href="#problems">Problems (${report.problems.length})</a></nav>
<main>
<section id="matrix"><h2>Conformance</h2>${results.length ? matrixHtml(results) : '<p class="none">No vector was selected.</p>'}</section>
<form id="controls" hidden role="search" onsubmit="return false"><label>Filter ids <input id="q" type="search" placeholder="e.g. x86_64/pte/mk-helpers" autocomplete="off"></label> <span class="togs">${toggles}</span> <span id="cellchip" hidden>cell: <b></b> <button type="button" id="clearcell">show all cells</button></span> <output id="status"></output></form>
<section id="failures"><h2>Failures <span class="count">${plural(failing.length, 'vector')}</span></h2>
${failHtml}</section>
<section id="xf"><h2>Expected failures <span class="count">${plural(xfailed.length, 'vector')}</span></h2>
${xfailed.length ? `<details id="xfailed" class="group"><summary>Show ${plural(xfailed.length, 'vector')} that failed as the expectations file says</summary>${xfailed.map((r) => vectorHtml(r, index.get(r) ?? 0)).join('\n')}</details>` : '<p class="none" id="xfailed">None.</p>'}</section>
<section id="skipped"><h2>Skipped <span class="count">${plural(skipped.length, 'vector')}</span></h2>${skippedHtml(skipped)}</section>
<section id="problems"><h2>Problems <span class="count">${plural(report.problems.length, 'problem')}</span></h2>${problemsHtml(report)}</section>
</main>
<footer>ptvec ${esc(report.tool.version)} · ${esc(report.implementation.name)}${report.shard === undefined ? '' : ` · shard ${esc(report.shard)}`} · passing vectors are counted in the matrix; the JSON report lists them all.</footer>
<script>${JS}</script>
</body></html>
`;
}

const CSS = `
:root{--fg:#1d2125;--muted:#5c6670;--line:#d5dae0;--bg:#fff;--soft:#f5f7f9;--ok:#0b6b2a;--okbg:#e3f4e8;--bad:#a4161a;--badbg:#fde6e6;--mixbg:#eef6dc;--mix:#3f5a00;--skipbg:#fff3d1;--skip:#6b4d00;--emptybg:#f1f3f5;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace}
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0 auto;max-width:1240px;padding:1.5rem 1.5rem 3rem;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:1.6rem;margin:0 0 .4rem}h2{font-size:1.25rem;margin:2rem 0 .6rem;padding-bottom:.25rem;border-bottom:2px solid var(--line)}h3{font-size:1rem;margin:.2rem 0}h4{font-size:.92rem;margin:.8rem 0 .3rem}
code,pre,.val{font-family:var(--mono);font-size:.86em}pre{margin:0;white-space:pre-wrap;word-break:break-all}
a{color:#0b57d0}.count{font-weight:400;color:var(--muted);font-size:.85em;margin-left:.4em}.none{color:var(--muted);font-style:italic}
.meta{display:flex;flex-wrap:wrap;gap:.2rem 1.4rem;margin:0 0 .6rem}.meta dt{color:var(--muted)}.meta dt::after{content:":"}.meta dd{margin:0 0 0 -1rem}
.verdict{font-size:1.05rem;padding:.55rem .8rem;border-radius:6px;margin:.4rem 0}.verdict.ok{background:var(--okbg);color:var(--ok)}.verdict.bad{background:var(--badbg);color:var(--bad)}
.summary{list-style:none;display:flex;flex-wrap:wrap;gap:.5rem;padding:0;margin:.6rem 0}
.tile{border:1px solid var(--line);border-radius:6px;padding:.35rem .8rem;min-width:6.2rem;background:var(--soft)}.tile .n{display:block;font-size:1.35rem;font-weight:700;font-variant-numeric:tabular-nums}.tile .l{color:var(--muted);font-size:.85rem}
.tile.hot{border-color:#e8a5a5;background:var(--badbg)}.tile.hot .n{color:var(--bad)}
nav{position:sticky;top:0;background:var(--bg);border-bottom:1px solid var(--line);padding:.45rem 0;z-index:2;display:flex;gap:1.1rem;flex-wrap:wrap}
.scroll{overflow-x:auto}table{border-collapse:collapse}caption{text-align:left;font-weight:600;padding:.3rem 0;color:var(--muted)}
th,td{border:1px solid var(--line);padding:.25rem .45rem;vertical-align:top;text-align:left}thead th{background:var(--soft)}
.matrix td.c{text-align:center;min-width:5.4rem;font-variant-numeric:tabular-nums;font-weight:600}.matrix td.c a{color:inherit}.matrix small{display:block;font-weight:400;font-size:.74rem}
.matrix th[scope=colgroup],.matrix thead th{text-align:center}.matrix .tot{border-left-width:2px;outline:none}.matrix tfoot td,.matrix tfoot th{border-top:2px solid #aab2bb}
.c.ok{background:var(--okbg);color:var(--ok)}.c.bad{background:var(--badbg);color:var(--bad)}.c.mixed{background:var(--mixbg);color:var(--mix)}.c.skip{background:var(--skipbg);color:var(--skip)}.c.empty{background:var(--emptybg);color:var(--muted)}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;padding:0;font-size:.85rem;color:var(--muted)}.legend .c{display:inline-block;width:1.5em;text-align:center;border-radius:3px;font-weight:700}
#controls{position:sticky;top:2.4rem;z-index:1;background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:.5rem .7rem;margin:1.2rem 0 0;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
#q{font:inherit;font-family:var(--mono);padding:.25rem .45rem;width:22rem;max-width:100%;border:1px solid #8a949e;border-radius:4px}.togs{display:flex;gap:.6rem;flex-wrap:wrap}.tog{white-space:nowrap}#status{color:var(--muted);font-size:.88rem}
.badge{display:inline-block;font:700 .72rem/1.5 var(--mono);padding:0 .4em;border-radius:3px;color:#fff;background:#5c6670;vertical-align:1px}.badge.fail,.badge.error{background:#b3261e}.badge.xpass{background:#8e24aa}.badge.xfail{background:#7a5c00}.badge.skip{background:#8a6d00}.badge.pass{background:#0b6b2a}
.vec,.group,section{scroll-margin-top:9rem}.cellhead{margin:1.4rem 0 .4rem;font-family:var(--mono);font-size:.95rem;color:var(--muted)}
.vec{border:1px solid var(--line);border-left:4px solid #b3261e;border-radius:6px;padding:.7rem .9rem;margin:.6rem 0 1rem;background:var(--bg)}.vec[data-verdict=xfail]{border-left-color:#7a5c00}.vec[data-verdict=xpass]{border-left-color:#8e24aa}
.vid{font-size:.95rem;font-weight:600;word-break:break-all}.file{margin:.15rem 0;color:var(--muted);font-size:.85rem}.desc{margin:.3rem 0}.reason{margin:.3rem 0;padding:.3rem .5rem;background:var(--soft);border-radius:4px}.rtext{white-space:pre-wrap;word-break:break-word}
.steps{width:100%;margin:.5rem 0;font-size:.88rem}.steps td,.steps th{padding:.3rem .45rem}.steps tbody th{width:2rem;color:var(--muted)}.steps tr.mismatch td,.steps tr.mismatch th{background:var(--badbg)}
.arg{white-space:nowrap}.arg .k{color:var(--muted);font-family:var(--mono);font-size:.82em}.arg .k::after{content:" ="}.name{color:var(--muted);font-size:.82em}.alt{color:var(--muted);font-size:.82em}.alts{margin:0;padding-left:1.1rem}
.st{white-space:nowrap;color:var(--muted)}.st.bad{color:var(--bad);font-weight:700}.st.ok{color:var(--ok)}.unsup{color:var(--skip)}
.mm{border-top:1px dashed var(--line);margin-top:.6rem;padding-top:.2rem}.at{font-weight:400;color:var(--muted);font-size:.8rem;font-family:var(--mono)}
.hex,.pair{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.3rem 0}.hex dt,.pair dt{color:var(--muted)}.hex dd,.pair dd{margin:0}.hex code{font-size:1rem;letter-spacing:.04em}
mark.hd{background:#ffd54f;color:#000;font-weight:700;text-decoration:underline}
.fieldlist{margin:.4rem 0;font-size:.88rem}.fieldlist th[scope=row]{font-family:var(--mono)}
.side{display:flex;flex-wrap:wrap;gap:.2rem 2.5rem;align-items:flex-start}.jdiff{margin:.4rem 0;font-size:.86rem}
.bits{table-layout:fixed;width:100%;max-width:1100px;margin:.6rem 0;font-family:var(--mono);font-size:.76rem}.bits th{width:5.2rem;font-family:system-ui,sans-serif;font-weight:600;color:var(--muted);background:var(--soft);padding:.15rem .3rem}
.bits td{padding:.1rem 0;text-align:center;border-color:#e3e7eb}.bits tbody+tbody tr:first-child>*{border-top:3px solid #aab2bb}
.bits .num td{color:var(--muted);font-size:.64rem;border:0}.bits td.field{border:1px solid #7d8791;background:#f4f6f8;font-weight:600;vertical-align:bottom;overflow:hidden;padding:.2rem 0}.bits td.field.gap{background:repeating-linear-gradient(135deg,#fafbfc 0 4px,#eef0f2 4px 8px)}
.bits td.vert span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;display:inline-block}
.bits td.field.diff{background:var(--badbg);color:var(--bad);border:2px solid var(--bad)}
.bits td.bit{border-left:1px solid #e3e7eb}.bits td.bit.diff{background:#c62828;color:#fff;font-weight:700}.bits td.mark{color:var(--bad);font-weight:700;font-size:.95rem}.bits .marks td{border:0}
.skips .n{text-align:right;font-variant-numeric:tabular-nums;font-weight:700;width:5rem}.ids{margin:.3rem 0;padding-left:1.2rem;columns:2 28rem;font-size:.85rem}
.problems{padding-left:1.2rem}.problems li{margin:.25rem 0}
details>summary{cursor:pointer}footer{margin-top:3rem;color:var(--muted);font-size:.8rem;border-top:1px solid var(--line);padding-top:.6rem}
@media print{nav,#controls{display:none!important}body{max-width:none;padding:0;font-size:11pt}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}.vec,.bits,.matrix{break-inside:avoid}a{color:inherit;text-decoration:none}}
`;

// Hides and shows only: the page is complete without it.
const JS = `(function(){
var ctl=document.getElementById('controls');if(!ctl)return;ctl.hidden=false;
var all=function(s,r){return Array.prototype.slice.call((r||document).querySelectorAll(s));};
var items=all('.item'),groups=all('.group'),boxes=all('input[name=verdict]',ctl);
var q=document.getElementById('q'),chip=document.getElementById('cellchip'),status=document.getElementById('status'),xf=document.getElementById('xfailed');
var cell='';
function apply(){
var t=q.value.trim().toLowerCase(),on={},n=0;
boxes.forEach(function(b){on[b.value]=b.checked;});
items.forEach(function(el){var ok=on[el.dataset.verdict]&&(!t||el.dataset.id.toLowerCase().indexOf(t)>=0)&&(!cell||el.dataset.cell===cell);el.hidden=!ok;if(ok)n++;});
groups.forEach(function(g){g.hidden=!g.querySelector('.item:not([hidden])');});
chip.hidden=!cell;chip.querySelector('b').textContent=cell;
status.textContent=n+' of '+items.length+' listed vectors shown';
}
q.addEventListener('input',apply);
boxes.forEach(function(b){b.addEventListener('change',apply);});
document.getElementById('clearcell').addEventListener('click',function(){cell='';apply();});
all('a[data-cell]').forEach(function(a){a.addEventListener('click',function(){cell=a.dataset.cell;apply();if(xf&&xf.tagName==='DETAILS'&&xf.querySelector('.item:not([hidden])'))xf.open=true;});});
apply();
})();`;
