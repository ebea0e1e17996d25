// Building access outcomes, and the walk's scratch state shared by the arch MMUs.

import type { LinuxLevel } from '../ops/types.ts';
import type { Geometry } from './geometry.ts';
import type { PhysMemory } from './memory.ts';
import { tlbFill } from './tlb.ts';
import type { AccessOutcome, ArchReport, Cpu, FaultClass, TlbEntry, Update } from './types.ts';

export function translated(pa: number, level: LinuxLevel, updates: Update[]): AccessOutcome {
  return { kind: 'translated', pa, level, updates };
}

export function fault(
  cls: FaultClass,
  level: LinuxLevel | null,
  report: ArchReport,
  updates: Update[],
): AccessOutcome {
  return { kind: 'fault', class: cls, level, report, updates };
}

/** A 64-bit entry from its halves. */
export function entryWord(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** The Linux name of a walk level, or null. */
export function levelName(g: Geometry, level: number | null): LinuxLevel | null {
  return level === null ? null : g.levels[level]!.linux;
}

/**
 * The hardware's atomic update of a leaf (A/D, AF, AP[2]): written and recorded only when it changes
 * the entry. Returns the entry as it now is.
 */
export function updateLeaf(
  mem: PhysMemory,
  slot: number,
  level: number,
  lo: number,
  newLo: number,
  hi: number,
  updates: Update[],
): bigint {
  // Halves are unsigned: compare as such.
  if (newLo >>> 0 !== lo) {
    mem.writeHalves(slot, newLo, hi);
    updates.push({ pa: slot, level, old: entryWord(lo, hi), value: entryWord(newLo, hi) });
  }
  return entryWord(newLo, hi);
}

/** The translation a TLB entry gives for `va`. */
export function fromTlb(g: Geometry, hit: TlbEntry, va: bigint): AccessOutcome {
  return translated(hit.pa + Number(va - hit.vaBase), g.levels[hit.level]!.linux, []);
}

/** Cache the leaf a successful walk found for `va`, 2^shift bytes. */
export function cacheLeaf(
  cpu: Cpu,
  va: bigint,
  shift: number,
  e: Omit<TlbEntry, 'vaBase' | 'size'>,
): void {
  // Each field by name (a spread of `e` copies slowly); the bigint sizes come from a table.
  const size = LEAF_SIZE[shift]!;
  tlbFill(cpu, {
    asid: e.asid,
    global: e.global,
    level: e.level,
    leaf: e.leaf,
    pa: e.pa,
    attrs: e.attrs,
    vaBase: va & ~(size - 1n),
    size,
  });
}

/** 2^shift as a bigint, for every shift of a 64-bit address. */
const LEAF_SIZE: readonly bigint[] = Array.from({ length: 64 }, (_, s) => 1n << BigInt(s));
