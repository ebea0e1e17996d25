// The per-CPU TLB as a list of cached leaf translations, and the selections invalidations make.
//
// `cpu.tlb` is the list, in fill order (a lookup answers with the first match, as a linear search
// would). An index by first VA, kept beside each list and rebuilt when the list is replaced, makes a
// lookup and the invalidation of one VA cost the entries at that VA, not the whole TLB.

import type { Cpu, TlbEntry } from './types.ts';

interface Index {
  /** Entries by vaBase, in fill order. */
  readonly byBase: Map<bigint, TlbEntry[]>;
  /** The sizes of the entries (a few per mode), with how many entries have each. */
  readonly sizes: Map<bigint, number>;
  /** Fill order of each entry, for "the first match" across sizes. */
  readonly order: Map<TlbEntry, number>;
  next: number;
}

const indexes = new WeakMap<TlbEntry[], Index>();

function add(ix: Index, e: TlbEntry): void {
  const at = ix.byBase.get(e.vaBase);
  if (at) at.push(e);
  else ix.byBase.set(e.vaBase, [e]);
  ix.sizes.set(e.size, (ix.sizes.get(e.size) ?? 0) + 1);
  ix.order.set(e, ix.next++);
}

function drop(ix: Index, e: TlbEntry): void {
  const at = ix.byBase.get(e.vaBase)!;
  at.splice(at.indexOf(e), 1);
  if (at.length === 0) ix.byBase.delete(e.vaBase);
  const n = ix.sizes.get(e.size)! - 1;
  if (n === 0) ix.sizes.delete(e.size);
  else ix.sizes.set(e.size, n);
  ix.order.delete(e);
}

function indexOf(cpu: Cpu): Index {
  let ix = indexes.get(cpu.tlb);
  if (!ix) {
    ix = { byBase: new Map(), sizes: new Map(), order: new Map(), next: 0 };
    for (const e of cpu.tlb) add(ix, e);
    indexes.set(cpu.tlb, ix);
  }
  return ix;
}

/** The entries whose page holds `va`, in fill order. */
function covering(cpu: Cpu, va: bigint): TlbEntry[] {
  const ix = indexOf(cpu);
  const out: TlbEntry[] = [];
  for (const size of ix.sizes.keys()) {
    for (const e of ix.byBase.get(va & ~(size - 1n)) ?? []) if (e.size === size) out.push(e);
  }
  return out.length > 1 ? out.sort((a, b) => ix.order.get(a)! - ix.order.get(b)!) : out;
}

export function tlbLookup(cpu: Cpu, va: bigint, asid: number): TlbEntry | undefined {
  return covering(cpu, va).find((e) => e.global || e.asid === asid);
}

export function tlbFill(cpu: Cpu, e: TlbEntry): void {
  const ix = indexOf(cpu);
  for (const x of [...(ix.byBase.get(e.vaBase) ?? [])])
    if (x.asid === e.asid && x.global === e.global) remove(cpu, ix, x);
  cpu.tlb.push(e);
  add(ix, e);
}

function remove(cpu: Cpu, ix: Index, e: TlbEntry): void {
  cpu.tlb.splice(cpu.tlb.indexOf(e), 1);
  drop(ix, e);
}

export function tlbInvalidate(cpu: Cpu, which: (e: TlbEntry) => boolean): void {
  cpu.tlb = cpu.tlb.filter((e) => !which(e));
}

/** Invalidate the entries that hold `va` and that `which` selects. */
export function tlbInvalidateVa(cpu: Cpu, va: bigint, which: (e: TlbEntry) => boolean): void {
  const ix = indexOf(cpu);
  for (const e of covering(cpu, va)) if (which(e)) remove(cpu, ix, e);
}
