// A report keeps at most KEPT_VALUE_BYTES of the values of failing vectors: a run of many vectors that each fail
// with a large value stays within memory and writes a report, and says where it left a value out.

import { describe, expect, it } from 'vitest';
import type { Implementation } from '../../runners/adapter.ts';
import { renderJson } from '../../runners/reporters/json.ts';
import { execute, KEPT_VALUE_BYTES } from '../../runners/run.ts';
import type { Selection } from '../../runners/select.ts';
import { loadVectors } from '../../runners/load.ts';
import { dirtyVector, tmp, vectorFile, writeJson } from './helpers.ts';

const ALL: Selection = { arch: [], mode: [], family: [], tag: [], grep: [] };

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
