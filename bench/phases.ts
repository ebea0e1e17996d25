// Where the in-process pass of the whole corpus spends its time, on the compiled package: each phase
// of `observe` + `judge` timed alone over every vector, so that a target for the whole pass can be
// checked against its parts. Building is timed by itself and also runs inside the run phase; the
// steps are the difference. A phase keeps its results for every vector until the next phase, where
// the pass drops each vector's at once: the sum is a little more than the pass (more GC).

import { performance } from 'node:perf_hooks';
import type { VectorInput, VectorObservation } from '../runners/adapter.ts';
import type { LoadedVector } from '../runners/vectors/files.ts';
import type { Arch, KernelConfig, Mode, StepOutcome, VectorSetup } from '../src/index.ts';
import * as D from './dist.ts';

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

const PHASES = [
  'setup and steps, JSON to engine values',
  'build the machine and Linux state',
  'run the steps',
  'results, engine values to JSON',
  'judge against the expectations',
] as const;

/**
 * The median time of each phase over `passes` passes (after two to warm up), fresh setups each,
 * beside `passMs`, the whole pass as measured.
 */
export async function benchPhases(
  vectors: readonly LoadedVector[],
  fresh: () => readonly VectorInput[],
  passMs: number,
  passes = 5,
): Promise<void> {
  const ref = D.reference;
  const { judge } = D.compare;
  const engine = D.index;
  const times: number[][] = PHASES.map(() => []);
  for (let p = 0; p < passes + 2; p++) {
    const inputs = fresh();
    const at: number[] = [performance.now()];
    const setups = inputs.map((i) =>
      i.setup === undefined ? undefined : ref.engineSetup(i.setup as Record<string, unknown>),
    );
    const steps = inputs.map((i) => i.steps.map(ref.engineStep));
    at.push(performance.now());
    inputs.forEach((i, k) => {
      const s = setups[k];
      if (s) engine.buildSetup(i.arch as Arch, i.mode as Mode, s).machine.mem.release();
    });
    at.push(performance.now());
    const outcomes = inputs.map((i, k) =>
      engine.runVector({
        arch: i.arch as Arch,
        mode: i.mode as Mode,
        config: i.config as KernelConfig,
        ...(setups[k] === undefined ? {} : { setup: setups[k] as VectorSetup }),
        steps: steps[k]!,
      }),
    );
    at.push(performance.now());
    const observed = outcomes.map((os: readonly StepOutcome[]): VectorObservation => ({
      kind: 'observed',
      steps: os.map((o) =>
        o.kind === 'value'
          ? { kind: 'result', result: ref.jsonValue(o.value) }
          : { kind: 'unsupported', reason: o.reason },
      ),
    }));
    at.push(performance.now());
    const failed = vectors.filter(
      (v, k) => judge(v, observed[k]!, ref.REFERENCE_CHOICES).verdict !== 'pass',
    ).length;
    at.push(performance.now());
    if (failed) throw new Error(`bench phases: ${failed} vectors did not pass`);
    if (p < 2) continue;
    const build = at[2]! - at[1]!;
    const d = [at[1]! - at[0]!, build, at[3]! - at[2]! - build, at[4]! - at[3]!, at[5]! - at[4]!];
    d.forEach((x, i) => times[i]!.push(x));
  }
  const ms = times.map(median);
  const total = ms.reduce((a, b) => a + b, 0);
  console.log(
    `\nthe in-process pass by phase (dist/, each phase over every vector, median of ${passes} passes):`,
  );
  PHASES.forEach((name, i) => {
    const share = (100 * ms[i]!) / total;
    console.log(
      `  ${name.padEnd(40)} ${ms[i]!.toFixed(0).padStart(5)} ms  ${share.toFixed(0).padStart(3)}%`,
    );
  });
  console.log(
    `  ${'all'.padEnd(40)} ${total.toFixed(0).padStart(5)} ms        (the pass: ${passMs.toFixed(0)} ms)`,
  );
}
