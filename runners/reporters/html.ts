// The HTML report: one self-contained page (inline CSS, a little inline JS, no external resource) for a
// person to read in a browser. Everything is rendered here; the script only hides and shows. Passing
// vectors appear only as counts, so a run of thousands of vectors stays a small page. Every string
// from a vector file or an implementation is escaped. No date: the same report gives the same page.

import type { Json } from '../adapter.ts';
import { firstDifference, HEX64, jsonEqual, own, type Mismatch } from '../compare.ts';
import { exitCode, type ResultEntry, type RunReport, type StepRecord } from '../run.ts';
import { familyNames } from '../vectors/schemas.ts';
import { shorten } from '../vectors/quote.ts';
import { entryHtml, esc } from './html-entry.ts';
import { CSS, JS } from './html-style.ts';
import { hexHint } from './pretty.ts';

type JsonObject = { readonly [k: string]: Json };

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

const isHex64 = (j: Json | undefined): j is string => typeof j === 'string' && HEX64.test(j);
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

// ---- one vector ----------------------------------------------------------------------------------------

function mismatchHtml(r: ResultEntry, m: Mismatch, withValues: boolean): string {
  const head = `<h4>step ${m.step} <code>${esc(m.op)}</code> <span class="at">at ${esc(r.file)}#${esc(m.pointer)}</span></h4>`;
  const e = m.expected;
  const a = m.actual;
  if (m.level !== undefined && isHex64(e) && isHex64(a))
    return `<div class="mm">${head}${entryHtml(r.arch, r.mode, m.level, e, a, m.fields ?? [])}</div>`;
  const alternatives = isObject(e) && ('either' in e || 'byChoice' in e);
  // A structured result: where it first differs, as the pretty report says, and the entry there
  // when the comparer named its fields (compare.ts nestedEntryLevel).
  const d = !alternatives && (isObject(e) || Array.isArray(e)) ? firstDifference(e, a) : undefined;
  const entry =
    m.level !== undefined && d && isHex64(d.expected) && isHex64(d.actual)
      ? `<p class="entryat">The ${esc(m.level)} entry at <code>${esc(d.path)}</code>:</p>${entryHtml(r.arch, r.mode, m.level, d.expected, d.actual, m.fields ?? [])}`
      : '';
  const said = d ? hexHint(d.expected, d.actual) : hexHint(e, a);
  const hint = said === undefined ? '' : `<p class="hint">${esc(said)}</p>`;
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
  return `<div class="mm">${head}${values}${where}${entry}${hint}</div>`;
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
