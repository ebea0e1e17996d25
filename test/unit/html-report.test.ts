// The HTML report, read in a real browser (Debian's chromium through playwright-core): a run of the
// real runner against a deliberately wrong implementation, rendered, opened from file://, and checked
// by what the page shows.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  Implementation,
  Json,
  StepObservation,
  VectorInput,
  VectorObservation,
} from '../../runners/adapter.ts';
import { observe } from '../../runners/adapters/reference.ts';
import type { Mismatch } from '../../runners/compare.ts';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { renderHtml } from '../../runners/reporters/html.ts';
import { execute, type ResultEntry, type RunReport } from '../../runners/run.ts';
import type { Selection } from '../../runners/select.ts';
import { loadVectors } from '../../runners/load.ts';
import { tmp, vectorFile, writeJson } from './helpers.ts';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const HOSTILE = `</script><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2; alert(1)"> & "quotes"`;
const SKIP_REASON = `layout is not implemented <b>yet</b> <img src=y onerror="alert(2)">`;
const ALL: Selection = { arch: [], mode: [], family: [], tag: [], grep: [] };
const family = (id: string) => id.split('/')[1];

const flipBit6 = (r: Json): Json =>
  typeof r === 'string' && r.startsWith('0x')
    ? '0x' + (BigInt(r) ^ (1n << 6n)).toString(16).padStart(16, '0')
    : r;

/**
 * The reference engine, except: x86 pte_mkdirty answers with bit 6 (D) flipped, riscv64 layout ops
 * are unsupported, and one vector crashes with a hostile message.
 */
function wrongImplementation(crashId: string): Implementation {
  const answer = (v: VectorInput): VectorObservation => {
    if (v.id === crashId) return { kind: 'error', reason: HOSTILE };
    if (v.arch === 'riscv64' && family(v.id) === 'layout')
      return {
        kind: 'observed',
        steps: v.steps.map(() => ({ kind: 'unsupported', reason: SKIP_REASON })),
      };
    const o = observe(v);
    if (o.kind !== 'observed' || v.arch !== 'x86_64') return o;
    const steps: StepObservation[] = o.steps.map((s, i) =>
      s.kind === 'result' && v.steps[i]?.op === 'pte_mkdirty'
        ? { kind: 'result', result: flipBit6(s.result) }
        : s,
    );
    return { kind: 'observed', steps };
  };
  return {
    name: 'wrong-engine <i>test</i>',
    version: '0.0.1',
    choices: {},
    run: (vs, answered) => {
      vs.forEach((v, i) => answered(i, answer(v)));
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

async function buildReport(): Promise<RunReport> {
  const bad = tmp();
  writeJson(
    bad,
    'broken.json',
    vectorFile([
      {
        id: 'x86_64/pte/html-test/bad-hex',
        description: 'a PTE that is not fixed-width hex',
        steps: [{ op: 'pte_dirty', args: { pte: '0x67' }, expect: { result: true } }],
      },
    ]),
  );
  const paths = ['pte/x86_64', 'layout/x86_64', 'layout/riscv64'].map((p) =>
    join(PACKAGE_ROOT, 'vectors', p),
  );
  const loaded = loadVectors([...paths, bad]);
  const crash = loaded.vectors.find(
    (v) => v.arch === 'x86_64' && v.steps.some((s) => s.op === 'pte_write'),
  )!;
  const impl = wrongImplementation(crash.id);
  // First run: which vectors fail; the second lists one of them as an expected failure.
  const first = await execute(impl, loaded, { selection: ALL });
  const failing = first.results.filter((r) => r.verdict === 'fail');
  const known = failing[failing.length - 1]!;
  const report = await execute(impl, loaded, {
    selection: ALL,
    expectFail: { file: 'expect-fail.json', reasons: new Map([[known.id, 'known: issue #1']]) },
  });
  return report;
}

const mkdirtyFailure = (report: RunReport) => {
  const r = report.results.find(
    (x) =>
      x.verdict === 'fail' &&
      x.mismatches?.some((m) => m.op === 'pte_mkdirty' && m.level !== undefined),
  )!;
  const m = r.mismatches!.find((x) => x.op === 'pte_mkdirty') as Mismatch & {
    expected: string;
    actual: string;
  };
  return { r, m };
};

const texts = (l: Locator) => l.allInnerTexts();
const attrs = (l: Locator, name: string) =>
  l.evaluateAll((els, n) => els.map((e) => e.getAttribute(n)), name);

describe('the HTML report in a browser', { timeout: 60_000 }, () => {
  let report: RunReport;
  let browser: Browser;
  let page: Page;
  let url: string;
  const dialogs: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    report = await buildReport();
    const dir = join(PACKAGE_ROOT, 'test-output');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'html-report.html');
    writeFileSync(file, renderHtml(report));
    url = pathToFileURL(file).href;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('comes from a run with every kind of outcome', () => {
    const s = report.summary;
    expect(s.failed).toBeGreaterThan(0);
    expect(s.passed).toBeGreaterThan(0);
    expect(s.skipped).toBeGreaterThan(0);
    expect(s.xfailed).toBe(1);
    expect(s.errors).toBe(1);
    expect(s.problems).toBeGreaterThan(0);
    for (const r of report.results)
      expect('steps' in r, r.id).toBe(r.verdict !== 'pass' && r.verdict !== 'skip');
  });

  it('is one self-contained file: the browser requests nothing else', () => {
    expect(requests).toEqual([url]);
  });

  it('renders, and a screenshot is saved for people to look at', async () => {
    await page.screenshot({
      path: join(PACKAGE_ROOT, 'test-output', 'html-report.png'),
      fullPage: true,
    });
  });

  it('shows the summary counts of the report and the overall verdict', async () => {
    for (const [k, n] of Object.entries(report.summary))
      expect(await page.locator(`#sum-${k} .n`).innerText(), k).toBe(String(n));
    expect(await page.locator('#verdict').innerText()).toContain('INVALID INPUT');
    expect(await page.locator('.meta').innerText()).toContain('wrong-engine <i>test</i> 0.0.1');
  });

  it('shows passed/total for x86_64 4level / pte in the matrix, coloured as failing', async () => {
    const mine = report.results.filter((r) => r.family === 'pte' && r.arch === 'x86_64');
    const passed = mine.filter((r) => r.verdict === 'pass').length;
    const cell = page.locator('td[data-cell="pte x86_64 4level"]');
    expect(await cell.innerText()).toContain(`${passed}/${mine.length}`);
    expect(await cell.getAttribute('class')).toContain('bad');
    // The column and row it sits in, as a reader finds them.
    const headers = await texts(page.locator('table.matrix thead tr').nth(1).locator('th'));
    const cells = page
      .locator('table.matrix tbody tr', { has: page.locator('th', { hasText: /^pte$/ }) })
      .locator('td');
    expect(await cells.nth(headers.indexOf('4level')).innerText()).toContain(
      `${passed}/${mine.length}`,
    );
    // riscv64 layout: every vector skipped.
    const sv = report.results.filter(
      (r) => r.family === 'layout' && r.arch === 'riscv64' && r.mode === 'sv39',
    );
    const skipCell = page.locator('td[data-cell="layout riscv64 sv39"]');
    expect(await skipCell.innerText()).toContain(`0/${sv.length}`);
    expect(await skipCell.getAttribute('class')).toContain('skip');
  });

  it("shows a failing vector's steps with the expected and observed hex values", async () => {
    const { r, m } = mkdirtyFailure(report);
    const art = page.locator(`article[data-id="${r.id}"]`);
    expect(await art.isVisible()).toBe(true);
    const text = await art.innerText();
    for (const s of [r.id, r.file, r.description, m.expected, m.actual]) expect(text).toContain(s);
    const flagged = art.locator('table.steps tr.mismatch');
    expect(await flagged.count()).toBe(new Set(r.mismatches!.map((x) => x.step)).size);
    expect(await flagged.first().innerText()).toContain('✗ differs');
    expect(await flagged.first().innerText()).toContain('pte_mkdirty');
  });

  it('marks exactly bit 6 (D) as differing in the bit-field diagram of the pte_mkdirty failure', async () => {
    const { r, m } = mkdirtyFailure(report);
    const block = page.locator(`article[data-id="${r.id}"] div.mm`).first();
    const diagram = block.locator('table.bits');
    expect(await diagram.isVisible()).toBe(true);
    const diff = diagram.locator('td.bit.diff');
    expect(await attrs(diff, 'data-bit')).toEqual(['6', '6']);
    const want = String((BigInt(m.expected) >> 6n) & 1n);
    const got = String((BigInt(m.actual) >> 6n) & 1n);
    expect(await texts(diff)).toEqual([want, got]);
    const marks = diagram.locator('td.mark');
    expect(await attrs(marks, 'data-bit')).toEqual(['6']);
    expect(await texts(marks)).toEqual(['≠']);
    expect(await texts(diagram.locator('td.field.diff'))).toEqual(['D']);
    // 64 bits in two rows of 32, bit 63 first.
    const bits = await attrs(diagram.locator('tr.expected td.bit'), 'data-bit');
    expect(bits).toEqual(Array.from({ length: 64 }, (_, i) => String(63 - i)));
    const fields = await texts(block.locator('table.fieldlist tbody th'));
    expect(fields).toEqual(['D']);
  });

  it('hides the vectors whose id does not match the filter, and shows them again', async () => {
    const visible = page.locator('article.vec:visible');
    const listed = report.summary.failed + report.summary.xpassed + report.summary.errors;
    expect(await visible.count()).toBe(listed);
    const { r } = mkdirtyFailure(report);
    await page.locator('#q').fill(r.id);
    expect(await attrs(visible, 'data-id')).toEqual([r.id]);
    await page.locator('#q').fill('no-such-vector');
    expect(await visible.count()).toBe(0);
    expect(await page.locator('#status').innerText()).toMatch(/^0 of \d+/);
    await page.locator('#q').fill('');
    expect(await visible.count()).toBe(listed);
    // The verdict toggles: FAIL off leaves the error.
    await page.locator('input[name=verdict][value=fail]').uncheck();
    expect(await attrs(visible, 'data-verdict')).toEqual(['error']);
    await page.locator('input[name=verdict][value=fail]').check();
    // A matrix cell shows only its vectors.
    await page.locator('td[data-cell="pte x86_64 4level"] a').click();
    expect(new Set(await attrs(visible, 'data-cell'))).toEqual(new Set(['pte x86_64 4level']));
    // Its expected failure too: the collapsed section opens for it.
    const xf = report.results.find((x) => x.verdict === 'xfail')!;
    if (xf.family === 'pte' && xf.arch === 'x86_64')
      expect(await attrs(visible, 'data-verdict')).toContain('xfail');
    await page.locator('#clearcell').click();
    expect(await page.locator('article.vec:not([data-verdict=xfail]):visible').count()).toBe(
      listed,
    );
  });

  it('renders a hostile reason as text: no element injected, no script run, no dialog', async () => {
    const crashed = report.results.find((r) => r.verdict === 'error')!;
    const reason = page.locator(`article[data-id="${crashed.id}"] .reason .rtext`);
    expect(await reason.innerText()).toBe(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.evaluate('typeof window.pwned')).toBe('undefined');
    await page.locator('#skipped summary').first().click();
    expect(await texts(page.locator('#skipped summary'))).toContain(SKIP_REASON);
    expect(dialogs).toEqual([]);
  });

  it('lists skips by reason with counts, and the invalid file with its pointer', async () => {
    const skips = report.results.filter((r) => r.verdict === 'skip').length;
    expect(await page.locator('#skipped td.n').first().innerText()).toBe(String(skips));
    const p = report.problems[0]!;
    expect(await page.locator('#problems').innerText()).toContain(`${p.file}#${p.pointer}`);
  });

  it('is complete without JavaScript: everything shown, the controls hidden', async () => {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    try {
      const p2 = await ctx.newPage();
      await p2.goto(url);
      const { r, m } = mkdirtyFailure(report);
      const art = p2.locator(`article[data-id="${r.id}"]`);
      expect(await art.isVisible()).toBe(true);
      expect(await art.innerText()).toContain(m.actual);
      expect(await p2.locator('#controls').isVisible()).toBe(false);
      expect(await p2.locator('#sum-failed .n').innerText()).toBe(String(report.summary.failed));
    } finally {
      await ctx.close();
    }
  });
});

describe('the HTML report of a large run', () => {
  it('renders 6,000 results quickly, passing vectors only as counts', () => {
    const base = {
      file: 'vectors/pte/x86_64/big.json',
      family: 'pte',
      arch: 'x86_64',
      mode: '4level',
    };
    const results: ResultEntry[] = Array.from({ length: 6000 }, (_, i): ResultEntry => {
      const id = `x86_64/pte/big/v${String(i).padStart(5, '0')}`;
      if (i % 50 !== 0) return { ...base, id, description: 'passes', verdict: 'pass' };
      return {
        ...base,
        id,
        description: 'fails',
        verdict: 'fail',
        mismatches: [
          {
            pointer: `/vectors/${i}/steps/0/expect`,
            step: 0,
            op: 'pte_mkdirty',
            expected: '0x8000000012345067',
            actual: '0x8000000012345027',
            level: 'pte',
            fields: [{ name: 'D', bits: [6, 6], expected: '0x1', actual: '0x0' }],
          },
        ],
      };
    });
    const big: RunReport = {
      tool: { name: 'ptvec', version: '0.0.0' },
      implementation: { name: 'big' },
      summary: {
        total: 6000,
        passed: 5880,
        failed: 120,
        skipped: 0,
        xfailed: 0,
        xpassed: 0,
        errors: 0,
        problems: 0,
      },
      results,
      problems: [],
    };
    const t0 = performance.now();
    const html = renderHtml(big);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(html).not.toContain('x86_64/pte/big/v00001');
    expect(html).toContain('5880/6000');
    expect(renderHtml(big)).toBe(html);
  });
});
