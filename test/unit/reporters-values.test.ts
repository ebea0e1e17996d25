// How the reports show an answer's values: a JSON number where a 64-bit hex string is expected, and
// the values of TAP's diagnostics, each encoded once.

import { Parser } from 'tap-parser';
import { describe, expect, it } from 'vitest';
import type { Json } from '../../runners/adapter.ts';
import type { Mismatch } from '../../runners/compare.ts';
import { renderHtml } from '../../runners/reporters/html.ts';
import { formatMismatch, PLAIN } from '../../runners/reporters/pretty.ts';
import { renderTap } from '../../runners/reporters/tap.ts';
import { summarize, type ResultEntry, type RunReport } from '../../runners/run.ts';

const base = { file: 'vectors/pte/x86_64/t.json', family: 'pte', arch: 'x86_64', mode: '4level' };
const failing = (m: Omit<Mismatch, 'pointer' | 'step'>): ResultEntry => ({
  ...base,
  id: 'x86_64/pte/a/fail',
  description: 'fails',
  verdict: 'fail',
  mismatches: [{ pointer: '/vectors/0/steps/0/expect', step: 0, ...m }],
});
const reportOf = (results: ResultEntry[]): RunReport => ({
  tool: { name: 'ptvec', version: '0.1.0' },
  implementation: { name: 'impl' },
  summary: summarize(results, 0),
  results,
  problems: [],
});
const lines = (expected: Json, actual: Json) =>
  formatMismatch({ pointer: '/p', step: 0, op: 'pte_mkdirty', expected, actual }, PLAIN);

/** What an implementation wrote as 288230376151711777 reads back as: JSON.parse rounds it. */
const BIG = JSON.parse('288230376151711777') as number;

describe('a JSON number where a hex string is expected', () => {
  it('says a hex string is expected, and that a number this large may not be the one sent', () => {
    expect(lines('0x0400000000000021', BIG)).toContain(
      '    288230376151711800 is a JSON number: a hex string ("0x" and 16 lowercase hex digits) is expected; JSON numbers this large (beyond 2^53 - 1) lose precision, so 288230376151711800 may not be the number sent',
    );
    const small = lines('0x0000000000000067', 103).join('\n');
    expect(small).toContain(
      '103 is a JSON number: a hex string ("0x" and 16 lowercase hex digits) is expected',
    );
    expect(small).not.toContain('precision');
    // 2^53 - 1 is still exact; 2^53 is not.
    expect(lines('0x001fffffffffffff', 2 ** 53 - 1).join('\n')).not.toContain('precision');
    expect(lines('0x0020000000000000', 2 ** 53).join('\n')).toContain('lose precision');
  });

  it('inside a structured result, at the first difference', () => {
    const out = lines({ ret: 0, value: '0x0400000000000021' }, { ret: 0, value: BIG });
    expect(out).toContain(
      '    first difference at /value: expected "0x0400000000000021", got 288230376151711800',
    );
    expect(out.join('\n')).toContain('is a JSON number: a hex string');
  });

  it('not where the vector expects no hex string', () => {
    expect(lines(true, 1).join('\n')).not.toContain('JSON number');
    expect(lines({ ret: 0 }, { ret: 1 }).join('\n')).not.toContain('JSON number');
  });

  it('in the HTML report too', () => {
    const html = renderHtml(
      reportOf([
        failing({
          op: 'walk_page_range',
          expected: { value: '0x0400000000000021' },
          actual: { value: BIG },
        }),
      ]),
    );
    expect(html).toContain(
      '<p class="hint">288230376151711800 is a JSON number: a hex string (&quot;0x&quot; and 16 lowercase hex digits) is expected; JSON numbers this large',
    );
  });
});

describe('TAP diagnostics', () => {
  const diagOf = async (tap: string) => {
    const diags: unknown[] = [];
    const p = new Parser();
    p.on('assert', (a: { diag?: unknown }) => diags.push(a.diag));
    await new Promise<void>((resolve) => {
      p.on('complete', () => resolve());
      p.end(tap);
    });
    return diags[0] as Record<string, unknown>;
  };

  it('give each value once: a string as a string, a structure as a structure', async () => {
    const hex = renderTap(
      reportOf([
        failing({
          op: 'pte_mkdirty',
          expected: '0x0000000000000867',
          actual: '0x0000000000000827',
        }),
      ]),
    );
    expect(hex).toContain('\n  expected: "0x0000000000000867"\n  actual: "0x0000000000000827"\n');
    expect(await diagOf(hex)).toMatchObject({
      expected: '0x0000000000000867',
      actual: '0x0000000000000827',
    });
    const expected = { ret: 0, events: [{ event: 'warn', func: 'a "#" b' }] };
    const actual = { ret: -22, events: [] };
    const tree = renderTap(reportOf([failing({ op: 'walk_page_range', expected, actual })]));
    expect(await diagOf(tree)).toMatchObject({ expected, actual });
    expect(
      await diagOf(renderTap(reportOf([failing({ op: 'x', expected: null, actual: 7 })]))),
    ).toMatchObject({ expected: null, actual: 7 });
  });
});
