// A deliberately wrong engine must make the suite fail. The test double is the reference engine with
// one helper's answer corrupted (one bit flipped, or a predicate negated); the comparer and the
// vectors must catch it, and name what differs.

import { describe, expect, it } from 'vitest';
import {
  toInput,
  type Json,
  type StepObservation,
  type VectorObservation,
} from '../../runners/adapter.ts';
import { observe } from '../../runners/adapters/reference.ts';
import { judge } from '../../runners/compare.ts';
import { loadVectors, type LoadedVector } from '../../runners/vectors/load.ts';

const corpus = loadVectors([]).vectors;

type Corruption = (result: Json) => Json;

/** The reference engine, except that every answer of `op` on `arch` goes through `corrupt`. */
function wrongEngine(arch: string, op: string, corrupt: Corruption) {
  return (v: LoadedVector): VectorObservation => {
    const o = observe(toInput(v));
    if (o.kind !== 'observed' || v.arch !== arch) return o;
    const steps: StepObservation[] = o.steps.map((s, i) =>
      s.kind === 'result' && v.steps[i]?.op === op
        ? { kind: 'result', result: corrupt(s.result) }
        : s,
    );
    return { kind: 'observed', steps };
  };
}

const flipBit =
  (b: number): Corruption =>
  (r) =>
    typeof r === 'string' && r.startsWith('0x')
      ? '0x' + (BigInt(r) ^ (1n << BigInt(b))).toString(16).padStart(16, '0')
      : r;
const negate: Corruption = (r) => (typeof r === 'boolean' ? !r : r);

function failures(arch: string, op: string, corrupt: Corruption) {
  const run = wrongEngine(arch, op, corrupt);
  return corpus
    .filter((v) => v.arch === arch)
    .map((v) => ({ v, j: judge(v, run(v), {}) }))
    .filter((x) => x.j.verdict === 'fail');
}

describe('a deliberately wrong engine', () => {
  it('is caught when x86 pte_mkdirty forgets to set D (bit 6), and the report names the field', () => {
    const f = failures('x86_64', 'pte_mkdirty', flipBit(6));
    expect(f.length).toBeGreaterThan(0);
    const fields = f.flatMap((x) => x.j.mismatches ?? []).flatMap((m) => m.fields ?? []);
    expect(fields).toContainEqual(expect.objectContaining({ name: 'D', bits: [6, 6] }));
  });

  it('is caught when arm64 pte_wrprotect loses the hardware dirty state (PTE_DIRTY, bit 55)', () => {
    expect(failures('arm64', 'pte_wrprotect', flipBit(55)).length).toBeGreaterThan(0);
  });

  it('is caught when x86 pte_none stops ignoring A and D (negated answers)', () => {
    expect(failures('x86_64', 'pte_none', negate).length).toBeGreaterThan(0);
  });

  it('is caught when the riscv swap offset is off by one bit', () => {
    expect(failures('riscv64', '__swp_entry', flipBit(12)).length).toBeGreaterThan(0);
  });

  // Every helper that the corpus checks must be pinned down: corrupting any one is caught.
  const used = new Map<string, Set<string>>();
  for (const v of corpus)
    for (const s of v.steps)
      if (s.expect) used.set(v.arch, (used.get(v.arch) ?? new Set()).add(s.op));
  const cases = [...used].flatMap(([arch, ops]) =>
    [...ops].sort().map((op) => [arch, op] as const),
  );

  it.each(cases)('%s %s is caught when its answer is corrupted', (arch, op) => {
    const corrupt: Corruption = (r) =>
      typeof r === 'boolean'
        ? !r
        : typeof r === 'string'
          ? r.startsWith('0x')
            ? flipBit(0)(r)
            : `${r}_CORRUPTED`
          : typeof r === 'number'
            ? r + 1
            : { corrupted: r };
    expect(failures(arch, op, corrupt).length).toBeGreaterThan(0);
  });
});
