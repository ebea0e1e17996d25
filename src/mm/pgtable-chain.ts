// The five levels of a mode as Linux sees them (include/linux/pgtable.h, asm-generic/pgtable-nop4d.h,
// -nopud.h, -nopmd.h): which of pgd/p4d/pud/pmd are folded, the real level each one reads, and the
// sizes and index bits of each, computed once per mode.

import { MASK64, type U64 } from '../bits/u64.ts';
import type { Geometry } from '../machine/geometry.ts';

export const CHAIN = ['pgd', 'p4d', 'pud', 'pmd', 'pte'] as const;

export interface ChainLevel {
  /** Index in the geometry's levels of the entry this Linux level reads. */
  readonly real: number;
  /** First of its group: pXd_offset indexes a table (otherwise returns the parent pointer). */
  readonly first: boolean;
  /** Last of its group: the real helpers (otherwise the folded 0/0/1 ones). */
  readonly last: boolean;
  /** PTRS_PER_<level> == 1 (real_depth()); on x86 PTRS_PER_P4D is the run-time ptrs_per_p4d. */
  readonly ptrsOne: boolean;
}

/** What LinuxTables reads of a mode's geometry: the same for every vector of the mode. */
export interface ChainLayout {
  readonly chain: readonly ChainLevel[];
  readonly pageShift: number;
  readonly sizes: readonly U64[];
  readonly masks: readonly U64[];
  /** ~mask within 64 bits: an address's first byte of its entry. */
  readonly aligns: readonly U64[];
  readonly indexShifts: readonly U64[];
  readonly indexMasks: readonly U64[];
  readonly pageShiftN: U64;
  readonly pageSize: U64;
  readonly p4dFoldedAtCompileTime: boolean;
}

const layouts = new WeakMap<Geometry, ChainLayout>();

export function layoutOf(g: Geometry): ChainLayout {
  const hit = layouts.get(g);
  if (hit) return hit;
  const folded = new Map(g.desc.folded.map((f) => [f.linux, f]));
  let real = -1;
  const chain: ChainLevel[] = [];
  CHAIN.forEach((name) => {
    const isFolded = folded.has(name);
    if (!isFolded) real = g.levels.findIndex((l) => l.linux === name);
    // A folded level's entry is the real level it is folded into: the group's first member.
    chain.push({
      real: isFolded ? -1 : real,
      first: !isFolded,
      last: true,
      ptrsOne: folded.get(name)?.ptrsPerTable === 1,
    });
  });
  // Folded levels sit below the real level they are folded into: resolve `real` and group ends.
  for (let c = 0; c < CHAIN.length; c++) {
    const lv = chain[c]!;
    if (lv.real === -1) {
      const into = folded.get(CHAIN[c]!)!.into;
      chain[c] = { ...lv, real: g.levels.findIndex((l) => l.linux === into) };
    }
  }
  for (let c = 0; c < CHAIN.length - 1; c++)
    if (!chain[c + 1]!.first) chain[c] = { ...chain[c]!, last: false };
  const pageShift = g.levels[g.levels.length - 1]!.shift;
  const sizes = chain.map((lv) => 1n << BigInt(g.levels[lv.real]!.shift));
  const l: ChainLayout = {
    chain,
    pageShift,
    sizes,
    masks: sizes.map((s) => s - 1n),
    aligns: sizes.map((s) => ~(s - 1n) & MASK64),
    indexShifts: chain.map((lv) => BigInt(g.levels[lv.real]!.shift)),
    indexMasks: chain.map((lv) => BigInt(g.levels[lv.real]!.mask)),
    pageShiftN: BigInt(pageShift),
    pageSize: 1n << BigInt(pageShift),
    p4dFoldedAtCompileTime: folded.get('p4d')?.how === 'compile-time',
  };
  layouts.set(g, l);
  return l;
}
