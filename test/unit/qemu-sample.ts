// What the three QEMU target tests share: the vectors of an arch by id, copies with a changed setup
// (which must fail: the observations come from QEMU, not from the vector), and a run of a sample
// through the QEMU implementation itself (the pool batches by CPU count and variant).

import { execFileSync } from 'node:child_process';
import { toInput, type VectorObservation } from '../../runners/adapter.ts';
import { ensureHarnesses } from '../../runners/adapters/qemu/build.ts';
import { qemuImplementation } from '../../runners/adapters/qemu/index.ts';
import type { QemuTarget } from '../../runners/adapters/qemu/target.ts';
import { judge } from '../../runners/compare.ts';
import { loadVectors } from '../../runners/load.ts';
import type { LoadedVector } from '../../runners/vectors/files.ts';

/**
 * Why the target's QEMU cannot run here, if it cannot: the tests then skip, except in CI, where
 * .ci/run installs QEMU and a missing one must fail.
 */
export function qemuMissing(t: QemuTarget): string | undefined {
  if (process.env.CI) return undefined;
  try {
    execFileSync(t.binary, ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return undefined;
  } catch {
    return `${t.binary} is not installed`;
  }
}

export interface MappingJson {
  va: string;
  pa: string;
  fields: Record<string, number>;
}

/** A hex64 physical address moved by `d` bytes. */
export const movedPa = (pa: string, d: bigint): string =>
  `0x${(BigInt(pa) + d).toString(16).padStart(16, '0')}`;

export function corpusOf(arch: string): {
  vector: (id: string) => LoadedVector;
  changed: (id: string, what: string, change: (map: MappingJson[]) => void) => LoadedVector;
} {
  const byId = new Map(
    loadVectors([`vectors/mmu/${arch}`, `vectors/tlb/${arch}`]).vectors.map((v) => [v.id, v]),
  );
  const vector = (id: string): LoadedVector => {
    const v = byId.get(id);
    if (!v) throw new Error(`no vector ${id}`);
    return v;
  };
  return {
    vector,
    changed(id, what, change) {
      const v = vector(id);
      const setup = structuredClone(v.setup) as unknown as { map: MappingJson[] };
      change(setup.map);
      return { ...v, id: `${id} (${what})`, setup } as unknown as LoadedVector;
    },
  };
}

/** Each vector's observation on QEMU, through `ptvec run --impl qemu`'s implementation. */
export async function observeOnQemu(
  t: QemuTarget,
  vectors: readonly LoadedVector[],
): Promise<Map<string, VectorObservation>> {
  const problem = ensureHarnesses([t]);
  if (problem) throw new Error(problem);
  const qemu = qemuImplementation({ jobs: 1, timeoutMs: 20_000 });
  const out = new Map<string, VectorObservation>();
  try {
    const inputs = vectors.map(toInput);
    for (const v of inputs) {
      const why = qemu.notCovered?.(v);
      if (why) throw new Error(`${v.id} is not covered: ${why}`);
    }
    await qemu.run(inputs, (i, o) => out.set(vectors[i]!.id, o));
  } finally {
    await qemu.close();
  }
  return out;
}

/** The verdict, or the whole judgement when it is neither pass nor skip (for the message). */
export function verdictOf(
  t: QemuTarget,
  observed: ReadonlyMap<string, VectorObservation>,
  v: LoadedVector,
): string {
  const o = observed.get(v.id);
  if (!o) throw new Error(`${v.id} was not run`);
  const j = judge(v, o, t.choices, t.unobserved);
  return j.verdict === 'pass' || j.verdict === 'skip'
    ? j.verdict
    : `${j.verdict}: ${JSON.stringify(j)}`;
}
