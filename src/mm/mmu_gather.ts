// mm/mmu_gather.c and include/asm-generic/tlb.h (Linux v6.19): the range an mmu_gather collects
// (tlb_flush_pte_range, tlb_remove_huge_tlb_entry) and its flushes (tlb_flush_mmu_tlbonly, tlb_end_vma,
// tlb_finish_mmu).

import { MASK64, type U64 } from '../bits/u64.ts';
import { tlbInvalidate } from '../machine/tlb.ts';
import { emit, flushRange, mmCpus, type FaultEnv, type FaultEvent } from './vm-fault.ts';

/** A `tlb_flush` of the whole mm, as a full-mm gather's tlb_flush issues it. */
export interface FullmmFlush extends FaultEvent {
  readonly freed_tables: boolean;
  readonly fullmm: true;
}

/**
 * tlb_flush of a gather with tlb->fullmm (asm-generic/tlb.h): x86 flush_tlb_mm_range(0,
 * TLB_FLUSH_ALL) (arch/x86/include/asm/tlb.h:15-23), arm64 and riscv flush_tlb_mm: every non-global
 * entry of the mm's ASID on the CPUs running it.
 */
export function flushFullmm(f: FaultEnv, freed_tables: boolean): void {
  const e: FullmmFlush = { event: 'tlb_flush', fullmm: true, freed_tables, cpus: flush_tlb_mm(f) };
  emit(f, e);
}

/** flush_tlb_mm: every non-global entry of the mm's ASID on the CPUs running it; those CPUs. */
function flush_tlb_mm(f: FaultEnv): number[] {
  const cpus = mmCpus(f.m, f.mm);
  for (const i of cpus) {
    const c = f.m.cpus[i]!;
    tlbInvalidate(c, (e) => !e.global && e.asid === c.asid);
  }
  return cpus;
}

/**
 * mm/rmap.c:717 flush_tlb_batched_pending, at the start of zap_pte_range (mm/memory.c:1848) and
 * change_pte_range (mm/mprotect.c:235): a flush reclaim batched for this mm is owed, so flush_tlb_mm.
 */
export function flush_tlb_batched_pending(f: FaultEnv): void {
  if (!f.mm.tlbFlushBatched) return;
  f.mm.tlbFlushBatched = false;
  emit(f, { event: 'flush_tlb_mm', cpus: flush_tlb_mm(f) });
}

/**
 * struct mmu_gather: the range of the entries that need a flush, flushed at tlb_end_vma (unless the
 * arch selects MMU_GATHER_MERGE_VMAS) and at tlb_finish_mmu, as one `tlb_flush` event reaching the
 * CPUs running the mm.
 */
export class MmuGather {
  private start = MASK64;
  private end = 0n;
  constructor(private readonly f: FaultEnv) {}
  /** tlb_flush_pte_range. */
  adjust(addr: U64, size: U64): void {
    if (addr < this.start) this.start = addr;
    if (addr + size > this.end) this.end = addr + size;
  }
  /** tlb_flush_mmu_tlbonly: nothing when nothing was gathered. */
  flush(): void {
    if (this.end === 0n) return;
    flushRange(this.f, 'tlb_flush', this.start, this.end);
    this.start = MASK64;
    this.end = 0n;
  }
  endVma(): void {
    if (!this.f.arch.mmu_gather_merge_vmas) this.flush();
  }
  finish(): void {
    this.flush();
  }
  /**
   * mm/mmu_gather.c:516 tlb_finish_mmu of a gather opened inside another one of the same mm
   * (mm_tlb_flush_nested): fullmm and freed_tables are forced, so the whole mm is flushed.
   */
  finishNested(): void {
    this.start = MASK64;
    this.end = 0n;
    flushFullmm(this.f, true);
  }
}
