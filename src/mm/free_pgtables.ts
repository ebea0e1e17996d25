// mm/memory.c (Linux v6.19) free_pgtables (:373-423) and free_pgd_range (:311-371) with
// free_p4d_range (:266-297), free_pud_range (:232-264), free_pmd_range (:198-230) and free_pte_range
// (:189-196); and the mmu_gather of a page-table tear-down (include/asm-generic/tlb.h,
// mm/mmu_gather.c) ending in the arch's tlb_flush (arch/x86/include/asm/tlb.h:13-24,
// arch/arm64/include/asm/tlb.h:53-73, arch/riscv/include/asm/tlb.h:16-24).
//
// Page tables are freed by address arithmetic only: a table goes when its span lies between `floor`
// and `ceiling` (rounded per level), whatever it still holds. Freeing a table is clearing the entry
// that points to it (recorded as a change) and gathering its address for the TLB flush. Model choice:
// the table's frame is not returned to the table allocator (the radix builder only allocates upward),
// and the table's own contents are left as they are (the kernel hands the page to
// tlb_remove_table without rewriting it: mm/mmu_gather.c:311-381).

import { MASK64, type U64 } from '../bits/u64.ts';
import type { Arch } from '../config.ts';
import { flushFullmm, MmuGather } from './mmu_gather.ts';
import type { ChainIndex } from './pgtable.ts';
import type { Vma } from './state.ts';
import { emit, flushPages, mmCpus, type FaultEnv, type FaultEvent } from './vm-fault.ts';

/** A TLB flush of a tear-down: the arch's tlb_flush(tlb) call (schemas MunmapEvent). */
export interface TeardownFlush extends FaultEvent {
  readonly freed_tables: boolean;
  readonly fullmm?: true;
}

const wrap = (v: U64): U64 => v & MASK64;

/**
 * struct mmu_gather of munmap (tlb_gather_mmu, mm/mmu_gather.c:408-432) or exit_mmap
 * (tlb_gather_mmu_fullmm, :443-446): the range, the cleared_* bits (one flag: only "any" matters
 * here) and freed_tables. Model choices: no mm_tlb_flush_nested (a pending flush of another thread
 * is refused by the family), and the arch's tlb_flush is one event with the gathered range: how the
 * arch turns it into instructions (x86 a full flush past tlb_single_page_flush_ceiling,
 * arch/x86/mm/tlb.c:1423; arm64 vale1is or vae1is or flush_tlb_mm,
 * arch/arm64/include/asm/tlbflush.h:476; riscv flush_tlb_mm when tables were freed) is not an event,
 * and the CPUs' TLBs lose the range's entries (a TLB may drop others at any time).
 */
export class TeardownGather extends MmuGather {
  private lo = MASK64;
  private hi = 0n;
  private cleared = false;
  private freedTables = false;
  private vmaPfn = false;
  constructor(
    private readonly fe: FaultEnv,
    private readonly archName: Arch,
    readonly fullmm: boolean,
  ) {
    super(fe);
  }
  /** include/asm-generic/tlb.h:397 __tlb_adjust_range. */
  private range(addr: U64, size: U64): void {
    if (addr < this.lo) this.lo = addr;
    if (addr + size > this.hi) this.hi = addr + size;
  }
  /** tlb.h:669-680 tlb_remove_tlb_entries → tlb_flush_pte_range: a present PTE was cleared. */
  override adjust(addr: U64, size: U64): void {
    this.range(addr, size);
    this.cleared = true;
  }
  /** tlb.h:564-573 tlb_start_vma → tlb_update_vma_flags: remember a VM_PFNMAP/VM_MIXEDMAP VMA. */
  startVma(vma: Vma): void {
    if (this.fullmm) return;
    if (vma.flags.has('VM_PFNMAP') || vma.flags.has('VM_MIXEDMAP')) this.vmaPfn = true;
  }
  /** tlb.h:742-749 pte_free_tlb: tlb_flush_pmd_range(addr, PAGE_SIZE), freed_tables. */
  tableFreed(addr: U64, clearedBit: boolean): void {
    this.range(addr, this.fe.t.pageSize);
    if (clearedBit) this.cleared = true;
    this.freedTables = true;
  }
  /** tlb.h:496-507 tlb_flush_mmu_tlbonly: the arch's tlb_flush if anything was gathered; reset. */
  override flush(): void {
    if (!this.cleared && !this.freedTables) return;
    this.tlb_flush();
    // tlb.h:405-412 __tlb_reset_range.
    this.lo = MASK64;
    this.hi = 0n;
    this.cleared = false;
    this.freedTables = false;
  }
  private tlb_flush(): void {
    const f = this.fe;
    const cpus = mmCpus(f.m, f.mm);
    if (this.fullmm) {
      // arch/arm64/include/asm/tlb.h:63-67: a full-mm tear-down flushes only the walk cache, and only
      // when tables were freed (the ASID allocator never reuses the ASID unflushed).
      if (this.archName !== 'arm64' || this.freedTables) flushFullmm(f, this.freedTables);
      return;
    }
    flushPages(f.m, cpus, this.lo, this.hi);
    const e: TeardownFlush = {
      event: 'tlb_flush',
      addr: this.lo,
      end: this.hi,
      freed_tables: this.freedTables,
      cpus,
    };
    emit(f, e);
  }
  /** tlb.h:575-587 tlb_end_vma: no flush for fullmm or with MMU_GATHER_MERGE_VMAS (x86). */
  override endVma(): void {
    if (this.fullmm || this.fe.arch.mmu_gather_merge_vmas) return;
    this.flush();
  }
  /** tlb.h:589-608 tlb_free_vmas: flush before a PFN-mapped VMA is unlinked. */
  freeVmas(): void {
    if (this.fullmm) return;
    if (this.vmaPfn) this.flush();
  }
  /** mm/mmu_gather.c:496-536 tlb_finish_mmu → tlb_flush_mmu. */
  override finish(): void {
    this.flush();
  }
}

/** The tables of one free_pgd_range walk: the mm's tree, its root and the compile-time folding. */
interface Walk {
  readonly f: FaultEnv;
  readonly tlb: TeardownGather;
  readonly tree: number;
  readonly root: number;
  /** Per chain level: folded at compile time (asm-generic/pgtable-nop4d.h:52, -nopud.h:60,
   * -nopmd.h:66 make p4d/pud/pmd_free_tlb empty macros). */
  readonly noFreeTlb: readonly boolean[];
}

/** ~(pXd_SIZE - 1) of chain level c: PGDIR_MASK, P4D_MASK, PUD_MASK, PMD_MASK. */
const maskOf = (w: Walk, c: ChainIndex): U64 => wrap(~(w.f.t.size(c) - 1n));

/**
 * The tail every upper level shares (:215-229, :247-263, :281-296): after its entries, the table at
 * `level` + 1 under `parentPa` is freed when its span [start & UPMASK, ...) lies within
 * floor..ceiling.
 * `level` is the parent's chain level (pud for free_pmd_range), whose mask is UPMASK.
 */
function freeTable(
  w: Walk,
  level: 0 | 1 | 2,
  parentPa: number,
  addr: U64,
  end: U64,
  floor: U64,
  ceiling: U64,
): void {
  const mask = maskOf(w, level);
  const start = addr & mask;
  if (start < floor) return;
  if (ceiling) {
    ceiling &= mask;
    if (!ceiling) return;
  }
  if (wrap(end - 1n) > wrap(ceiling - 1n)) return;
  // pgd_clear / p4d_clear / pud_clear: only the real helper (the lowest level of a folded group)
  // writes; the folded ones are empty (x86 4-level pgd_clear, arch/x86/include/asm/pgtable.h:77;
  // riscv p4d_clear/pgd_clear without l4/l5, arch/riscv/include/asm/pgtable-64.h:308-312, 375-379;
  // asm-generic/pgtable-nopud.h and -nopmd.h).
  if (w.f.t.chain[level]!.last) w.f.t.write(w.tree, level, parentPa, start, 0n);
  // p4d_free_tlb / pud_free_tlb / pmd_free_tlb of the child level (asm-generic/tlb.h:751-776):
  // tlb_flush_{pud,p4d}_range sets a cleared_* bit, p4d_free_tlb only adjusts the range.
  const child = (level + 1) as 1 | 2 | 3;
  if (!w.noFreeTlb[child]) w.tlb.tableFreed(start, child !== 1);
}

/** :198 free_pmd_range, with :189 free_pte_range for each PMD entry that is not none. */
function free_pmd_range(w: Walk, pud: number, addr: U64, end: U64, floor: U64, ceiling: U64) {
  const t = w.f.t;
  const start = addr;
  let pmd = t.offset(3, pud, addr, w.root);
  do {
    const next = t.addrEnd(3, addr, end);
    if (!t.noneOrClearBad(w.tree, 3, pmd, addr)) {
      // :189-196 pmd_clear, then pte_free_tlb (tlb_flush_pmd_range(addr, PAGE_SIZE) + freed_tables).
      t.write(w.tree, 3, pmd, addr, 0n);
      w.tlb.tableFreed(addr, true);
    }
    if (t.chain[3]!.first) pmd += 8;
    addr = next;
  } while (addr !== end);
  freeTable(w, 2, pud, start, end, floor, ceiling);
}

/** :232 free_pud_range. */
function free_pud_range(w: Walk, p4d: number, addr: U64, end: U64, floor: U64, ceiling: U64) {
  const t = w.f.t;
  const start = addr;
  let pud = t.offset(2, p4d, addr, w.root);
  do {
    const next = t.addrEnd(2, addr, end);
    if (!t.noneOrClearBad(w.tree, 2, pud, addr)) free_pmd_range(w, pud, addr, next, floor, ceiling);
    if (t.chain[2]!.first) pud += 8;
    addr = next;
  } while (addr !== end);
  freeTable(w, 1, p4d, start, end, floor, ceiling);
}

/** :266 free_p4d_range. */
function free_p4d_range(w: Walk, pgd: number, addr: U64, end: U64, floor: U64, ceiling: U64) {
  const t = w.f.t;
  const start = addr;
  let p4d = t.offset(1, pgd, addr, w.root);
  do {
    const next = t.addrEnd(1, addr, end);
    if (!t.noneOrClearBad(w.tree, 1, p4d, addr)) free_pud_range(w, p4d, addr, next, floor, ceiling);
    if (t.chain[1]!.first) p4d += 8;
    addr = next;
  } while (addr !== end);
  freeTable(w, 0, pgd, start, end, floor, ceiling);
}

/**
 * :311 free_pgd_range(tlb, addr, end, floor, ceiling): addr and floor 0 are the bottom of the address
 * space, end and ceiling 0 its top (hence the `- 1` comparisons, :316-342).
 */
export function free_pgd_range(
  f: FaultEnv,
  tlb: TeardownGather,
  addr: U64,
  end: U64,
  floor: U64,
  ceiling: U64,
): void {
  const t = f.t;
  const desc = t.g.desc.folded;
  const compileTime = (name: string) =>
    desc.some((x) => x.linux === name && x.how === 'compile-time');
  const w: Walk = {
    f,
    tlb,
    tree: f.mm.tree,
    root: f.m.treeRoot(f.mm.tree),
    noFreeTlb: [false, compileTime('p4d'), compileTime('pud'), compileTime('pmd'), false],
  };
  const PMD_SIZE = t.size(3);
  const PMD_MASK = maskOf(w, 3);
  // :344-355: skip a first PTE table shared with the VMA below floor and a last one shared with the
  // VMA at ceiling; nothing left, nothing freed.
  addr &= PMD_MASK;
  if (addr < floor) {
    addr = wrap(addr + PMD_SIZE);
    if (!addr) return;
  }
  if (ceiling) {
    ceiling &= PMD_MASK;
    if (!ceiling) return;
  }
  if (wrap(end - 1n) > wrap(ceiling - 1n)) end = wrap(end - PMD_SIZE);
  if (addr > wrap(end - 1n)) return;
  // :360 tlb_change_page_size: a no-op without CONFIG_MMU_GATHER_PAGE_SIZE (not selected by x86,
  // arm64 or riscv).
  let pgd = t.offset(0, 0, addr, w.root);
  do {
    const next = t.addrEnd(0, addr, end);
    if (!t.noneOrClearBad(w.tree, 0, pgd, addr)) free_p4d_range(w, pgd, addr, next, floor, ceiling);
    pgd += 8;
    addr = next;
  } while (addr !== end);
}

/**
 * :373 free_pgtables(tlb, vmas, floor, ceiling) over the VMAs being torn down, in address order:
 * VMAs less than PMD_SIZE apart are joined into one free_pgd_range call (:407-416), whose ceiling is
 * the next VMA's start or, after the last, `ceiling` (:419-420). `floor` is the same for every call.
 * Unlinking a VMA from its anon_vma and the file's i_mmap (:393-402) is the caller's removal of the
 * VMA.
 */
export function free_pgtables(
  f: FaultEnv,
  tlb: TeardownGather,
  vmas: readonly Vma[],
  floor: U64,
  ceiling: U64,
): void {
  tlb.freeVmas();
  const PMD_SIZE = f.t.size(3);
  let i = 0;
  while (i < vmas.length) {
    const addr = vmas[i]!.start;
    let last = vmas[i]!;
    let j = i + 1;
    while (j < vmas.length && vmas[j]!.start <= last.end + PMD_SIZE) last = vmas[j++]!;
    const next = vmas[j];
    free_pgd_range(f, tlb, addr, last.end, floor, next ? next.start : ceiling);
    i = j;
  }
}
