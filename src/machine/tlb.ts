// The per-CPU TLB as a list of cached leaf translations, and the selections invalidations make.

import type { Cpu, TlbEntry } from './types.ts';

export function tlbLookup(cpu: Cpu, va: bigint, asid: number): TlbEntry | undefined {
  return cpu.tlb.find((e) => (e.global || e.asid === asid) && (va & ~(e.size - 1n)) === e.vaBase);
}

export function tlbFill(cpu: Cpu, e: TlbEntry): void {
  tlbInvalidate(cpu, (x) => x.vaBase === e.vaBase && x.asid === e.asid && x.global === e.global);
  cpu.tlb.push(e);
}

export function tlbInvalidate(cpu: Cpu, which: (e: TlbEntry) => boolean): void {
  cpu.tlb = cpu.tlb.filter((e) => !which(e));
}

export const covers = (va: bigint) => (e: TlbEntry) => (va & ~(e.size - 1n)) === e.vaBase;
