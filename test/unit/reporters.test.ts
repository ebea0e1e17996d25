import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parse as parseJunit, type TestSuites } from 'junit2json';
import { Parser } from 'tap-parser';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { writeReports } from '../../runners/cli-reports.ts';
import { renderHtml } from '../../runners/reporters/html.ts';
import { jsonReportParts, renderJson } from '../../runners/reporters/json.ts';
import { renderJunit } from '../../runners/reporters/junit.ts';
import { PLAIN, renderPretty } from '../../runners/reporters/pretty.ts';
import { renderTap } from '../../runners/reporters/tap.ts';
import { summarize, type ResultEntry, type RunReport } from '../../runners/run.ts';
import { validator } from '../../runners/vectors/schemas.ts';
import { tmp } from './helpers.ts';

const base = { file: 'vectors/pte/x86_64/t.json', family: 'pte', arch: 'x86_64', mode: '4level' };
const results: ResultEntry[] = [
  { ...base, id: 'x86_64/pte/a/pass', description: 'passes', verdict: 'pass' },
  {
    ...base,
    id: 'x86_64/pte/a/fail',
    description: 'pte_mkdirty sets D & <SoftDirty>',
    verdict: 'fail',
    mismatches: [
      {
        pointer: '/vectors/1/steps/0/expect',
        step: 0,
        op: 'pte_mkdirty',
        expected: '0x0000000000000867',
        actual: '0x0000000000000827',
        level: 'pte',
        fields: [{ name: 'D', bits: [6, 6], expected: '0x1', actual: '0x0' }],
      },
    ],
  },
  {
    ...base,
    id: 'x86_64/pte/a/skip',
    description: 'skipped',
    verdict: 'skip',
    reason: 'pte_shstk is not defined on arm64',
  },
  {
    ...base,
    id: 'x86_64/pte/a/xfail',
    description: 'known bug',
    verdict: 'xfail',
    reason: 'known: issue #1',
  },
  {
    ...base,
    id: 'x86_64/pte/a/xpass',
    description: 'fixed',
    verdict: 'xpass',
    reason: 'listed but passed',
  },
  {
    ...base,
    id: 'x86_64/pte/a/error',
    description: 'crashed',
    verdict: 'error',
    reason: 'implementation exited with status 139',
  },
];
const problems = [
  {
    file: 'vectors/pte/x86_64/bad.json',
    pointer: '/vectors/0/steps/0/args/pte',
    message: 'expected a Hex64 string',
  },
];
const report: RunReport = {
  tool: { name: 'ptvec', version: '0.1.0' },
  implementation: { name: 'ref' },
  summary: summarize(results, problems.length),
  results,
  problems,
};

describe('a report that cannot be rendered', () => {
  it('costs its own file, not the other reports, and leaves nothing half written', async () => {
    // A description that is no string: the HTML reporter fails on it, the JSON one does not.
    const broken: RunReport = {
      ...report,
      results: results.map((r) =>
        r.verdict === 'fail' ? { ...r, description: 7 as unknown as string } : r,
      ),
    };
    const d = tmp();
    const [html, json] = [join(d, 'r.html'), join(d, 'r.json')];
    const said: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      said.push(String(s));
      return true;
    });
    try {
      const wrote = await writeReports(
        [
          { name: 'html', file: html },
          { name: 'json', file: json },
        ],
        broken,
      );
      expect(wrote).toBe(false);
    } finally {
      spy.mockRestore();
    }
    expect(said.join('')).toMatch(/--reporter html=.*r\.html: cannot render the report: /);
    expect(existsSync(html)).toBe(false);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({ summary: report.summary });
  });
});

describe('reporters', () => {
  it('pretty names the differing field of a failing PTE and summarizes', () => {
    const text = renderPretty(report, PLAIN);
    expect(text).toContain('FAIL x86_64/pte/a/fail (vectors/pte/x86_64/t.json)');
    expect(text).toContain(
      'step 0 pte_mkdirty: expected "0x0000000000000867", got "0x0000000000000827"',
    );
    expect(text).toContain('bit 6 D: expected 1, got 0');
    expect(text).toContain(
      'invalid vectors/pte/x86_64/bad.json#/vectors/0/steps/0/args/pte: expected a Hex64 string',
    );
    expect(text).toContain('skipped 1: pte_shstk is not defined on arm64');
    expect(text).toMatch(
      /6 vectors against ref: 1 passed, 1 failed, 1 skipped, 1 xfailed, 1 xpassed, 1 error, 1 invalid\n$/,
    );
  });

  it('json follows schemas/report.schema.json', () => {
    const data: unknown = JSON.parse(renderJson(report));
    const validate = validator('report.schema.json');
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
    expect(data).toMatchObject({
      summary: {
        total: 6,
        passed: 1,
        failed: 1,
        skipped: 1,
        xfailed: 1,
        xpassed: 1,
        errors: 1,
        problems: 1,
      },
    });
  });

  it('junit is well-formed XML with one testcase per vector and the right counts', () => {
    const xml = renderJunit(report);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as {
      testsuites: {
        tests: string;
        failures: string;
        errors: string;
        skipped: string;
        testsuite: { name: string; testcase: { name: string; failure?: { message: string } }[] }[];
      };
    };
    expect(doc.testsuites).toMatchObject({ tests: '7', failures: '2', errors: '2', skipped: '2' });
    const suite = doc.testsuites.testsuite.find((s) => s.name === base.file);
    expect(suite?.testcase.map((t) => t.name)).toEqual(results.map((r) => r.id));
    expect(suite?.testcase[1]?.failure?.message).toContain('expected "0x0000000000000867"');
  });

  it('json costs no more than its values however deep they nest: one result per line', () => {
    // 60 levels around 100,000 zeros: indented at every level, each zero's line was 120 characters.
    const deep = JSON.parse(
      `${'['.repeat(60)}${Array(100_000).fill(0).join(',')}${']'.repeat(60)}`,
    );
    const fail = { ...results[1]!, mismatches: [{ ...results[1]!.mismatches![0]!, actual: deep }] };
    const r = { ...report, shard: undefined, results: [fail] } as unknown as RunReport;
    const text = renderJson(r);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify({ formatVersion: 1, ...r })));
    expect(text.length).toBeLessThan(JSON.stringify(r).length + 1000);
    // Written in pieces, for reports longer than a string: the same text.
    const parts = [...jsonReportParts(r, 100)];
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.join('')).toBe(text);
    expect([...jsonReportParts({ ...r, results: [], problems: [] })].join('')).toBe(
      renderJson({ ...r, results: [], problems: [] }),
    );
    const line = text.split('\n')[6]!;
    expect(line.startsWith('    {') && line.includes('"id":"x86_64/pte/a/fail"')).toBe(true);
  });

  it('html shows an answer with a member named "constructor", and a huge deep answer cut short', () => {
    const m = results[1]!.mismatches![0]!;
    const deep = JSON.parse(
      `${'['.repeat(60)}${Array(100_000).fill(0).join(',')}${']'.repeat(60)}`,
    );
    const fails = [
      {
        ...results[1]!,
        mismatches: [
          { ...m, level: undefined, expected: { a: 1 }, actual: { a: 1, constructor: 2 } },
        ],
      },
      { ...results[1]!, id: 'x86_64/pte/a/deep', mismatches: [{ ...m, actual: deep }] },
    ];
    const html = renderHtml({ ...report, results: fails } as unknown as RunReport);
    expect(html).toContain('/constructor');
    // Indented, the 200,000-character answer was 12 MB of text.
    expect(html.length).toBeLessThan(1_000_000);
  });

  it('junit groups 200,000 results of one file in time linear in them', () => {
    // Each result used to copy its file's list so far: 100,000 took 91 s.
    const many = Array.from({ length: 200_000 }, (_, i) => ({ ...results[0]!, id: `v${i}` }));
    const xml = renderJunit({
      ...report,
      summary: summarize(many, 0),
      results: many,
      problems: [],
    });
    expect(xml).toContain(`tests="200000"`);
    expect(xml.match(/<testcase /g)).toHaveLength(200_000);
  });

  it('junit is read by a JUnit consumer (junit2json, xml2js-based) with the verdicts where CI tools look', async () => {
    const doc = (await parseJunit(renderJunit(report))) as TestSuites;
    expect(doc).toMatchObject({ name: 'ptvec', tests: 7, failures: 2, errors: 2 });
    const cases = (doc.testsuite ?? []).flatMap((s) => s.testcase ?? []);
    const kind = (c: (typeof cases)[number]) =>
      c.failure ? 'failure' : c.error ? 'error' : c.skipped ? 'skipped' : 'passed';
    expect(Object.fromEntries(cases.map((c) => [c.name, kind(c)]))).toEqual(
      Object.fromEntries(
        results
          .map((r): [string, string] => [
            r.id,
            r.verdict === 'pass'
              ? 'passed'
              : r.verdict === 'fail' || r.verdict === 'xpass'
                ? 'failure'
                : r.verdict === 'error'
                  ? 'error'
                  : 'skipped',
          ])
          .concat(report.problems.map((p) => [`${p.file}#${p.pointer}`, 'error'])),
      ),
    );
    const failing = cases.find((c) => c.failure);
    expect(failing?.failure?.[0]?.inner).toContain('bit 6 D');
  });

  it('tap is valid TAP 14 that a TAP parser counts correctly', async () => {
    const tap = renderTap(report);
    const final = await new Promise<{
      ok: boolean;
      count: number;
      pass: number;
      fail: number;
      skip: number;
      todo: number;
      plan: { end: number };
    }>((resolve) => {
      const p = new Parser((r) => resolve(r as never));
      p.end(tap);
    });
    expect(final.plan.end).toBe(7);
    // tap-parser counts a `not ok # TODO` under both fail and todo.
    expect(final).toMatchObject({ ok: false, count: 7, pass: 2, fail: 5, skip: 1, todo: 1 });
    // A failure's diagnostics name the bits that differ, as the pretty and JUnit reports do.
    expect(tap).toContain('bit 6 D: expected 1, got 0');
  });
});
