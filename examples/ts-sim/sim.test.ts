// Checks ts-sim in process: the riscv64 mmu and tlb vectors through ptvec's run(), from vitest.
// In this repository 'ptvec' is runners/api.ts (vitest.config.ts and tsconfig.json map it); in
// your project it is the installed package.

import { describe, expect, it } from 'vitest';
import { PLAIN, renderPretty, run, type Implementation, type Json } from 'ptvec';
import { tsSimImplementation } from './sim.ts';

const selection = { arch: ['riscv64'], family: ['mmu', 'tlb'] };

describe('ts-sim against the ptvec vectors', () => {
  it('passes every riscv64 mmu and tlb vector it runs', { timeout: 120_000 }, async () => {
    const report = await run(tsSimImplementation(), { selection });
    const { summary } = report;
    // On a failure, the pretty report says which step and which bits differed.
    if (summary.failed + summary.errors > 0) console.log(renderPretty(report, PLAIN));
    expect(summary.failed).toBe(0);
    expect(summary.errors).toBe(0);
    expect(report.problems).toEqual([]);
    expect(summary.passed).toBeGreaterThanOrEqual(800);
  });

  it('fails the vectors a wrong simulator gets wrong', { timeout: 120_000 }, async () => {
    // The same simulator with stval holding the page base instead of the faulting address.
    const sim = tsSimImplementation();
    const pageBase = (r: Json): Json =>
      JSON.parse(
        JSON.stringify(r).replace(/("stval":"0x[0-9a-f]{13})[0-9a-f]{3}"/, '$1000"'),
      ) as Json;
    const wrong: Implementation = {
      ...sim,
      run: (vectors, answered) =>
        sim.run(vectors, (i, o) =>
          answered(
            i,
            o.kind === 'error'
              ? o
              : {
                  kind: 'observed',
                  steps: o.steps.map((s) =>
                    s.kind === 'result' ? { kind: 'result', result: pageBase(s.result) } : s,
                  ),
                },
          ),
        ),
    };
    const report = await run(wrong, { selection });
    expect(report.summary.failed).toBeGreaterThan(10);
    expect(
      report.results.find((r) => r.id === 'riscv64/mmu/permissions/sv39/r_u0_u_load')?.verdict,
    ).toBe('fail');
  });
});
