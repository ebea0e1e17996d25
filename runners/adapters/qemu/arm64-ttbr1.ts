// The harness's place in a vector's own TTBR1_EL1 root. arch.c runs from TTBR1_EL1 at KBASE + PA
// with a root of its own that maps KBASE for each granule and T1SZ below; while a vector's root is in
// TTBR1_EL1, that root's top-level slots covering KBASE .. KBASE + 4 GiB hold copies of the harness's
// entries (OP_HMAP), so the vector must never use those slots: no VA of its map or steps in them, no
// word of them written or read. Which slots they are follows from the mode's top level alone.

import type { VectorInput } from '../../adapter.ts';
import { archDescriptions } from '../../arch.ts';
import { build, type Built } from './builder.ts';

/** TTBR1_EL1 with T1SZ=30: the harness's VAs (KBASE + PA). */
export const HARNESS_VA = 0xfffffffc00000000n;
export const PA_MASK = (1n << 48n) - 1n;
/** TCR_EL1.TG1 per granule shift (Arm ARM, TCR_EL1). */
const TG1: Readonly<Record<number, bigint>> = { 12: 2n, 14: 1n, 16: 3n };
/** The granule and VA bits (T1SZ = 64 - bits) arch.c's own TTBR1_EL1 root maps KBASE for. */
const HARNESS_T1 = new Set(['12/39', '12/48', '14/47', '16/42', '16/48']);

interface SetupJson {
  readonly memory: { readonly base: string; readonly size: string };
  readonly map?: readonly { readonly va: string }[];
  readonly words?: readonly { readonly pa: string }[];
  readonly cpus?: readonly { readonly root1?: unknown }[];
}
interface Args {
  readonly va?: string;
  readonly pa?: string;
  readonly root?: unknown;
}
const argsOf = (a: unknown): Args => a as Args;
const hex = (x: bigint): string => `0x${x.toString(16)}`;

/** The roots a vector ever puts in TTBR1_EL1: setup root1s and write_ttbr1_el1 roots. */
export function ttbr1Roots(v: VectorInput, b: Built): bigint[] {
  const s = v.setup as unknown as SetupJson;
  const given = [
    ...(s.cpus ?? []).map((c) => c.root1).filter((r) => r !== undefined),
    ...v.steps.filter((st) => st.op === 'write_ttbr1_el1').map((st) => argsOf(st.args).root),
  ];
  return [...new Set(given.map((r) => b.root(r) & PA_MASK))];
}

/** The top-level index of va in the mode's TTBR1_EL1 root. */
function topIndex(v: VectorInput): (va: bigint) => bigint {
  const [hi, lo] = archDescriptions().get(`arm64-${v.mode}`)!.levels[0]!.indexBits;
  return (va) => (va >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);
}

/**
 * The top-level slots of a TTBR1_EL1 root that map the harness (KBASE .. KBASE + 4 GiB) and the
 * TCR_EL1 T1SZ and TG1 bits of the vector's mode, or why the harness cannot map itself there.
 */
export function harnessSlots(
  v: VectorInput,
): { first: bigint; count: bigint; t1: bigint } | { why: string } {
  const d = archDescriptions().get(`arm64-${v.mode}`)!;
  if (!HARNESS_T1.has(`${d.pageShift}/${d.vaBits}`))
    return {
      why: `the harness cannot map itself into a TTBR1_EL1 root of mode ${v.mode} (its own root serves 4K with 39 or 48 VA bits, 16K with 47, 64K with 42 or 48)`,
    };
  const index = topIndex(v);
  const first = index(HARNESS_VA);
  return {
    first,
    count: index(HARNESS_VA + 0xffffffffn) - first + 1n,
    t1: (BigInt(64 - d.vaBits) << 16n) | (TG1[d.pageShift]! << 30n),
  };
}

/** Why the harness cannot share the vector's TTBR1_EL1 roots, if it cannot. */
export function ttbr1Conflict(v: VectorInput): string | undefined {
  const slots = harnessSlots(v);
  if ('why' in slots) return slots.why;
  const s = v.setup as unknown as SetupJson;
  const b = build(v);
  const index = topIndex(v);
  const last = slots.first + slots.count - 1n;
  // Every VA counts, whichever TTBR it selects: a tree may be both a TTBR0_EL1 and a TTBR1_EL1 root.
  const vas = [
    ...(s.map ?? []).map((m) => m.va),
    ...v.steps.map((st) => argsOf(st.args).va).filter((x) => x !== undefined),
  ];
  for (const va of vas) {
    const i = index(BigInt(va));
    if (i >= slots.first && i <= last)
      return `VA ${va} lies in top-level slots ${slots.first}..${last}, where the harness maps itself into the vector's TTBR1_EL1 root`;
  }
  const base = BigInt(s.memory.base);
  const end = base + BigInt(s.memory.size);
  const touched = new Set([
    ...b.writes.map((x) => x.pa),
    ...(s.words ?? []).map((x) => BigInt(x.pa)),
    ...v.steps.flatMap((st) => {
      const pa = argsOf(st.args).pa;
      return pa === undefined ? [] : [BigInt(pa)];
    }),
  ]);
  for (const root of ttbr1Roots(v, b)) {
    if (root + 8n * slots.first < base || root + 8n * (last + 1n) > end)
      return `the TTBR1_EL1 root ${hex(root)} is outside setup.memory, so the harness cannot map itself into it`;
    for (let i = slots.first; i <= last; i++)
      if (touched.has(root + 8n * i))
        return `the vector writes or reads ${hex(root + 8n * i)}, slot ${i} of its TTBR1_EL1 root, where the harness maps itself`;
  }
  return undefined;
}
