// A report keeps at most KEPT_VALUE_BYTES of the values of failing vectors: a run of many vectors that each fail
// with a large value stays within memory and writes a report, and says where it left a value out.

import { describe, expect, it } from 'vitest';
import type { Implementation } from '../../runners/adapter.ts';
import { renderJson } from '../../runners/reporters/json.ts';
import {
  execute,
  KEPT_VALUE_BYTES,
  report,
  retained,
  Retention,
  type ResultEntry,
} from '../../runners/run.ts';
import type { Selection } from '../../runners/select.ts';
import { loadVectors } from '../../runners/load.ts';
import { dirtyVector, tmp, vectorFile, writeJson } from './helpers.ts';

const ALL: Selection = { arch: [], mode: [], family: [], tag: [], grep: [] };

/** A failing result whose mismatch observed `actual`. */
const failing = (i: number, actual: string): ResultEntry => ({
  id: `x86_64/pte/t/v${String(i).padStart(2, '0')}`,
  file: 'f.json',
  family: 'pte',
  arch: 'x86_64',
  mode: '4level',
  description: 'd',
  verdict: 'fail',
  mismatches: [{ pointer: '', step: 0, op: 'pte_dirty', expected: true, actual }],
});

describe('the observed values a report keeps', () => {
  it(`stop at ${KEPT_VALUE_BYTES} bytes, each later one replaced by a note of its size`, async () => {
    const n = 40;
    const big = 'x'.repeat(1 << 20);
    const d = tmp();
    writeJson(
      d,
      'many.json',
      vectorFile(Array.from({ length: n }, (_, i) => dirtyVector(`x86_64/pte/t/v${i}`))),
    );
    // Every answer is a 1 MiB string where a boolean is expected: every vector fails.
    const impl: Implementation = {
      name: 'big',
      choices: {},
      run: (vs, answered) => {
        vs.forEach((_, i) =>
          answered(i, { kind: 'observed', steps: [{ kind: 'result', result: big }] }),
        );
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
    const report = await execute(impl, loadVectors([d]), { selection: ALL });
    expect(report.summary.failed).toBe(n);
    const kept = report.results.filter((r) => r.mismatches?.[0]?.actual === big).length;
    const noted = report.results.filter((r) =>
      String(r.mismatches?.[0]?.actual).startsWith('(not kept: 1048578 bytes of JSON'),
    ).length;
    // Values are kept (in mismatches and step records) until their sizes reach the limit.
    const keptValues = report.results.flatMap((r) => [
      r.mismatches?.[0]?.actual,
      (r.steps?.[0]?.observed as { result?: unknown } | undefined)?.result,
    ]);
    const size = JSON.stringify(big).length;
    expect(keptValues.filter((v) => v === big)).toHaveLength(Math.floor(KEPT_VALUE_BYTES / size));
    expect(kept).toBeGreaterThan(0);
    expect(noted).toBeGreaterThan(0);
    expect(kept + noted).toBe(n);
    expect(renderJson(report).length).toBeLessThan(2 * KEPT_VALUE_BYTES);
  });

  it('are kept again in id order by the report, as one thread keeps them', () => {
    // 40 failing results of 1 MiB each: one thread keeps the first 31 in id order. Two threads
    // (even and odd ids), each keeping its 20 as they come (here last first), keep them all.
    const big = 'x'.repeat(1 << 20);
    const results = Array.from({ length: 40 }, (_, i) => failing(i, big));
    const keptBy = (kept: Retention, rs: readonly ResultEntry[]) =>
      rs.map((r) => ({
        ...r,
        mismatches: r.mismatches!.map((m) => ({ ...m, actual: kept.keep(m.actual) })),
      }));
    const one = keptBy(new Retention(KEPT_VALUE_BYTES), results);
    const threads = [0, 1]
      .flatMap((t) =>
        keptBy(new Retention(KEPT_VALUE_BYTES), results.filter((_, i) => i % 2 === t).reverse()),
      )
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const actuals = (rs: readonly ResultEntry[]) => rs.map((r) => r.mismatches![0]!.actual === big);
    expect(actuals(one).filter(Boolean)).toHaveLength(31);
    expect(actuals(threads).filter(Boolean)).toHaveLength(40);
    expect(retained(threads)).toEqual(one);
    // A value a first pass did not keep stays its note, and its note counts for nothing: after
    // ten notes, 31 values and one that fills the limit exactly are all kept.
    expect(retained(one)).toEqual(one);
    const note = String(one[39]!.mismatches![0]!.actual);
    expect(note).toMatch(/^\(not kept: /);
    // The limit less the 31 values, the 42 `true`s expected (4 bytes each) and the quotes.
    const fill = 'y'.repeat(KEPT_VALUE_BYTES - 31 * JSON.stringify(big).length - 42 * 4 - 2);
    const values = [...Array<string>(10).fill(note), ...Array<string>(31).fill(big), fill];
    const again = retained(values.map((v, i) => failing(i, v)));
    expect(again.map((r) => r.mismatches![0]!.actual)).toEqual(values);
  });

  it('are kept again by every report (the results of threads, streams)', () => {
    const big = 'x'.repeat(1 << 20);
    const impl: Implementation = {
      name: 'i',
      choices: {},
      run: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const all = Array.from({ length: 40 }, (_, i) => failing(i, big));
    const r = report(impl, all, all, [], { selection: ALL });
    expect(r.results.filter((x) => x.mismatches![0]!.actual === big)).toHaveLength(31);
  });

  it('keeps a reason (of a skip or an error) to one readable line', async () => {
    const d = tmp();
    writeJson(
      d,
      'two.json',
      vectorFile([dirtyVector('x86_64/pte/t/a'), dirtyVector('x86_64/pte/t/b')]),
    );
    const long = 'why '.repeat(1 << 20);
    const impl: Implementation = {
      name: 'verbose',
      choices: {},
      run: (vs, answered) => {
        answered(0, { kind: 'observed', steps: [{ kind: 'unsupported', reason: long }] });
        answered(1, { kind: 'error', reason: long });
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
    const report = await execute(impl, loadVectors([d]), { selection: ALL });
    expect(report.results.map((r) => r.verdict)).toEqual(['skip', 'error']);
    for (const r of report.results) {
      expect(r.reason?.length).toBeLessThan(2100);
      expect(r.reason).toMatch(/^why why .*\.\.\. \(4194304 characters\)$/);
    }
  });
});
