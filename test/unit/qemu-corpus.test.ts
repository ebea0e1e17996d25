// Every hardware vector on the three QEMUs, as `ptvec run --impl qemu --family mmu --family tlb`
// runs them: no failure and no error under the checked-in expected failures, and the per-arch
// counts the README gives are the ones this run gets.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureHarnesses } from '../../runners/adapters/qemu/build.ts';
import { QEMU_EXPECTED_FAILURES, qemuImplementation } from '../../runners/adapters/qemu/index.ts';
import { TARGETS } from '../../runners/adapters/qemu/targets.ts';
import { loadExpectFailDir } from '../../runners/expect-fail.ts';
import { loadVectors } from '../../runners/load.ts';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { execute, exitCode, type RunReport } from '../../runners/run.ts';
import type { Problem } from '../../runners/vectors/files.ts';
import { qemuMissing } from './qemu-sample.ts';

const missing = Object.values(TARGETS)
  .map(qemuMissing)
  .find((m) => m !== undefined);

describe.skipIf(missing !== undefined)('the hardware corpus on QEMU', () => {
  let report: RunReport;

  it('runs with exit status 0 under the expected failures, none of them stale', async () => {
    expect(ensureHarnesses(Object.values(TARGETS))).toBeUndefined();
    const problems: Problem[] = [];
    const expectFail = loadExpectFailDir(QEMU_EXPECTED_FAILURES, problems);
    expect(problems).toEqual([]);
    const qemu = qemuImplementation({ jobs: 2, timeoutMs: 20_000 });
    try {
      report = await execute(qemu, loadVectors([]), {
        selection: { arch: [], mode: [], family: ['mmu', 'tlb'], tag: [], grep: [] },
        ...(expectFail ? { expectFail } : {}),
      });
    } finally {
      await qemu.close();
    }
    const bad = report.results.filter((r) => !['pass', 'skip', 'xfail'].includes(r.verdict));
    expect(bad.map((r) => `${r.id}: ${r.verdict} ${r.reason ?? ''}`)).toEqual([]);
    expect(report.problems).toEqual([]);
    expect(exitCode(report)).toBe(0);
    // Every listed divergence still fails: a listed vector that passes would be an xpass above.
    expect(report.summary.xfailed).toBe(expectFail?.reasons.size);
  }, 300_000);

  it("gives the README's per-arch counts", () => {
    const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
    const n = (x: number) => x.toLocaleString('en-US');
    const rows = ['x86_64', 'arm64', 'riscv64'].map((arch) => {
      const rs = report.results.filter((r) => r.arch === arch);
      const count = (v: string) => rs.filter((r) => r.verdict === v).length;
      const run = rs.length - count('skip');
      return `| ${arch} | ${n(rs.length)} | ${n(run)} | ${n(count('pass'))} | ${n(count('xfail'))} | ${n(count('skip'))} |`;
    });
    for (const row of rows) expect(readme).toContain(row);
  });
});
