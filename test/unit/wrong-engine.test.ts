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
import { observe, REFERENCE_CHOICES } from '../../runners/adapters/reference.ts';
import { judge } from '../../runners/compare.ts';
import type { LoadedVector } from '../../runners/vectors/files.ts';
import { loadVectors } from '../../runners/load.ts';

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
    .map((v) => ({ v, j: judge(v, run(v), REFERENCE_CHOICES) }))
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

  // The MMU's answers, part by part: a corpus that pinned only some of them would let these through.
  type Access = {
    translated?: { pa: string; level: string };
    fault?: { class: string; level: string | null; report: Record<string, Json> };
    updates: { pa: string; value: string }[];
  };
  const onAccess =
    (f: (a: Access) => Access | undefined): Corruption =>
    (r) => {
      if (typeof r !== 'object' || r === null || !('updates' in r)) return r;
      return (f(structuredClone(r) as unknown as Access) ?? r) as unknown as Json;
    };
  const mmuMutants: [string, Corruption][] = [
    [
      'a translated PA off by one page',
      onAccess((a) => {
        if (!a.translated) return undefined;
        a.translated.pa = flipBit(12)(a.translated.pa) as string;
        return a;
      }),
    ],
    [
      'the leaf level of a translation',
      onAccess((a) => {
        if (!a.translated) return undefined;
        a.translated.level = a.translated.level === 'pte' ? 'pmd' : 'pte';
        return a;
      }),
    ],
    [
      'the hardware A/D writes dropped',
      onAccess((a) => (a.updates.length ? { ...a, updates: [] } : undefined)),
    ],
    [
      'an A/D write with the dirty bit wrong',
      onAccess((a) => {
        const u = a.updates.at(-1);
        if (!u) return undefined;
        // x86 D is bit 6, arm64 AP[2] bit 7, riscv D bit 7.
        u.value = flipBit(a.fault ? 6 : 7)(u.value) as string;
        a.updates = [...a.updates.slice(0, -1), u];
        return a;
      }),
    ],
    [
      'a fault where the access translates',
      onAccess((a) =>
        a.translated
          ? {
              fault: { class: 'permission', level: a.translated.level, report: {} },
              updates: a.updates,
            }
          : undefined,
      ),
    ],
    [
      'the fault class',
      onAccess((a) => {
        if (!a.fault) return undefined;
        a.fault.class = a.fault.class === 'permission' ? 'translation' : 'permission';
        return a;
      }),
    ],
    [
      'the fault level',
      onAccess((a) => {
        if (!a.fault) return undefined;
        a.fault.level = a.fault.level === 'pte' ? 'pmd' : 'pte';
        return a;
      }),
    ],
    [
      "one bit of the arch's fault report",
      onAccess((a) => {
        const r = a.fault?.report;
        if (!r) return undefined;
        if (typeof r.errorCode === 'string')
          r.errorCode = '0x' + (parseInt(r.errorCode, 16) ^ 1).toString(16).padStart(4, '0');
        else if (typeof r.fsc === 'string')
          r.fsc = '0x' + (parseInt(r.fsc, 16) ^ 1).toString(16).padStart(2, '0');
        else if (typeof r.scause === 'number') r.scause = r.scause === 13 ? 15 : 13;
        return a;
      }),
    ],
  ];
  const arches = ['x86_64', 'arm64', 'riscv64'];
  it.each(arches.flatMap((arch) => mmuMutants.map(([what, c]) => [arch, what, c] as const)))(
    '%s access is caught with %s',
    (arch, _what, corrupt) => {
      expect(failures(arch, 'access', corrupt).length).toBeGreaterThan(0);
    },
  );

  // Every helper that the corpus checks must be pinned down: corrupting any one is caught.
  const used = new Map<string, Set<string>>();
  for (const v of corpus)
    for (const s of v.steps)
      if ('expect' in s) used.set(v.arch, (used.get(v.arch) ?? new Set()).add(s.op));
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
