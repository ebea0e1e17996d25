// The QEMU implementation's throughput: each arch's hardware vectors (mmu, tlb) through real QEMU,
// batched, one process at a time (so the figure is per core), against the in-process reference
// engine on the same vectors in the same run. Target: at least 5,000 vectors/s per core.

import { performance } from 'node:perf_hooks';
import { toInput, type Implementation } from '../runners/adapter.ts';
import { ensureHarnesses } from '../runners/adapters/qemu/build.ts';
import { qemuImplementation } from '../runners/adapters/qemu/index.ts';
import { TARGETS } from '../runners/adapters/qemu/targets.ts';
import { referenceImplementation } from '../runners/adapters/reference.ts';
import { checkByRunning } from '../runners/load.ts';
import type { LoadResult, Problem } from '../runners/vectors/files.ts';

const PASSES = 3;
const TARGET = 5_000;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Median wall time of running `inputs` on `impl` (every vector answered), in ms. */
async function time(impl: Implementation, inputs: ReturnType<typeof toInput>[]): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < PASSES; i++) {
    const t = performance.now();
    await impl.run(inputs, () => {});
    ms.push(performance.now() - t);
  }
  return ms.sort((a, b) => a - b)[Math.floor(PASSES / 2)]!;
}

export async function benchQemu(loaded: LoadResult): Promise<void> {
  const built = ensureHarnesses(Object.values(TARGETS));
  if (built) {
    console.log(`\nQEMU: ${built}`);
    return;
  }
  const qemu = qemuImplementation({ jobs: 1, timeoutMs: 10_000 });
  const ref = referenceImplementation();
  console.log(
    `\nQEMU ${qemu.version ?? '(version unknown)'} (--impl qemu, one process at a time), median of ${PASSES}:`,
  );
  const problems: Problem[] = [];
  for (const arch of ['riscv64', 'arm64', 'x86_64']) {
    const vs = checkByRunning(
      loaded.vectors.filter((v) => v.arch === arch && (v.family === 'mmu' || v.family === 'tlb')),
      problems,
    );
    const inputs = vs.map(toInput).filter((v) => qemu.notCovered?.(v) === undefined);
    const q = await time(qemu, inputs);
    const r = await time(ref, inputs);
    const rate = (inputs.length / q) * 1000;
    console.log(
      `  ${arch.padEnd(8)} ${String(inputs.length).padStart(5)} vectors  ${fmt(rate).padStart(7)} vectors/s per core (target ${fmt(TARGET)}: ${rate >= TARGET ? 'met' : 'NOT met'})  in-process engine ${fmt((inputs.length / r) * 1000).padStart(9)} vectors/s  (QEMU = ${(r / q).toFixed(3)}x the engine)`,
    );
  }
  await qemu.close();
}
