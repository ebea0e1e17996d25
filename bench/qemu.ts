// The QEMU implementation's throughput: each arch's hardware vectors (mmu, tlb) through real QEMU,
// one process at a time (so the figures are per core), against the in-process reference engine on
// the same vectors in the same run. A run pays QEMU's start-up (130-160 ms) once per process, and
// there is one process per CPU count and CPU-property variant of the arch's vectors; the target (at
// least 5,000 vectors/s per core, batched) is about the batched rate: the corpus run once and run
// REPEAT times, each in the same processes (one per group), differ only by the vectors' own cost.

import { performance } from 'node:perf_hooks';
import type { Implementation } from '../runners/adapter.ts';
import type { LoadResult, Problem } from '../runners/vectors/files.ts';
import * as D from './dist.ts';

const { toInput } = D.adapter;
const { ensureHarnesses } = D.qemuBuild;
const { qemuImplementation } = D.qemu;
const { TARGETS } = D.qemuTargets;
const { referenceImplementation } = D.reference;
const { checkByRunning } = D.loader;

const PASSES = 3;
const TARGET = 5_000;
/** Copies of the corpus in the batched figure. */
const REPEAT = 10;
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
  const qemu = qemuImplementation({ jobs: 1, timeoutMs: 10_000, batch: Infinity });
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
    const once = await time(qemu, inputs);
    const many = Array.from({ length: REPEAT }, () => inputs).flat();
    const repeated = await time(qemu, many);
    const rate = ((many.length - inputs.length) / (repeated - once)) * 1000;
    const start = once - (inputs.length / rate) * 1000;
    const engine = (inputs.length / (await time(ref, inputs))) * 1000;
    console.log(
      `  ${arch.padEnd(8)} ${String(inputs.length).padStart(4)} vectors: one pass ${once.toFixed(0).padStart(4)} ms (${fmt((inputs.length / once) * 1000).padStart(5)}/s, of which ~${start.toFixed(0)} ms start-up)   batched ${fmt(rate).padStart(6)} vectors/s per core (target ${fmt(TARGET)}: ${rate >= TARGET ? 'met' : 'NOT met'})   engine ${fmt(engine).padStart(6)}/s (QEMU batched = ${(rate / engine).toFixed(2)}x)`,
    );
  }
  await qemu.close();
}
