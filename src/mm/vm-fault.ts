// struct vm_fault (include/linux/mm.h) and what the fault handlers of mm/memory.c share in the model:
// the vm_fault_t bits (include/linux/mm_types.h:1570), the arch's PTE helpers, the events of a user
// access, TLB flushes that reach the CPUs running the mm, and the page-table lookups and allocations
// of __handle_mm_fault. Line numbers are those of Linux v6.19.

import type { U64 } from '../bits/u64.ts';
import type { KernelConfig } from '../config.ts';
import { UnsupportedError } from '../errors.ts';
import type { AccessType, ArchReport, FaultClass, Machine } from '../machine/types.ts';
import { tlbInvalidate, tlbInvalidateVa } from '../machine/tlb.ts';
import type { LinuxLevel, OpArgs, OpValue } from '../ops/types.ts';
import { pte_valid_cont } from './arm64-contpte.ts';
import type { ChainIndex, LinuxTables } from './pgtable.ts';
import type { Signal } from './fault-flags.ts';
import type { VmaEnv } from './vma.ts';
import type { LinuxState, Mm, PageState, Vma } from './state.ts';
import type { VmFlags } from './vm-flags.ts';

export const VM_FAULT_OOM = 0x1;
export const VM_FAULT_SIGBUS = 0x2;
export const VM_FAULT_MAJOR = 0x4;
export const VM_FAULT_HWPOISON = 0x10;
export const VM_FAULT_HWPOISON_LARGE = 0x20;
export const VM_FAULT_SIGSEGV = 0x40;
export const VM_FAULT_NOPAGE = 0x100;
export const VM_FAULT_LOCKED = 0x200;
export const VM_FAULT_RETRY = 0x400;
export const VM_FAULT_FALLBACK = 0x800;
export const VM_FAULT_DONE_COW = 0x1000;
export const VM_FAULT_NEEDDSYNC = 0x2000;
export const VM_FAULT_COMPLETED = 0x4000;
/** include/linux/mm_types.h:1595. */
export const VM_FAULT_ERROR =
  VM_FAULT_OOM |
  VM_FAULT_SIGBUS |
  VM_FAULT_SIGSEGV |
  VM_FAULT_HWPOISON |
  VM_FAULT_HWPOISON_LARGE |
  VM_FAULT_FALLBACK;

const VM_FAULT_NAMES: readonly (readonly [number, string])[] = [
  [VM_FAULT_OOM, 'VM_FAULT_OOM'],
  [VM_FAULT_SIGBUS, 'VM_FAULT_SIGBUS'],
  [VM_FAULT_MAJOR, 'VM_FAULT_MAJOR'],
  [VM_FAULT_HWPOISON, 'VM_FAULT_HWPOISON'],
  [VM_FAULT_HWPOISON_LARGE, 'VM_FAULT_HWPOISON_LARGE'],
  [VM_FAULT_SIGSEGV, 'VM_FAULT_SIGSEGV'],
  [VM_FAULT_NOPAGE, 'VM_FAULT_NOPAGE'],
  [VM_FAULT_LOCKED, 'VM_FAULT_LOCKED'],
  [VM_FAULT_RETRY, 'VM_FAULT_RETRY'],
  [VM_FAULT_FALLBACK, 'VM_FAULT_FALLBACK'],
  [VM_FAULT_DONE_COW, 'VM_FAULT_DONE_COW'],
  [VM_FAULT_NEEDDSYNC, 'VM_FAULT_NEEDDSYNC'],
  [VM_FAULT_COMPLETED, 'VM_FAULT_COMPLETED'],
];
export const vmFaultNames = (ret: number): string[] =>
  VM_FAULT_NAMES.filter(([b]) => (ret & b) !== 0).map(([, n]) => n);
export const vmFaultValue = (names: readonly string[]): number =>
  VM_FAULT_NAMES.filter(([, n]) => names.includes(n)).reduce((v, [b]) => v | b, 0);

/** One observable event of a user access (schemas FaultEvent). */
export interface FaultEvent {
  readonly event: string;
  readonly cpu?: number;
  readonly class?: FaultClass;
  readonly level?: LinuxLevel | null;
  readonly report?: ArchReport;
  readonly vma?: string;
  readonly address?: U64;
  readonly pgoff?: U64;
  /** Fault flags (a number; rendered by name). */
  readonly flags?: number;
  /** A vm_fault_t (rendered by name); set when the call returns. */
  ret?: number;
  readonly pfn?: U64;
  readonly addr?: U64;
  /** A range flush's end (exclusive). */
  readonly end?: U64;
  readonly cpus?: readonly number[];
  readonly func?: string;
}

/** The arch's side of the fault handlers: ptep_set_access_flags and the TLB hooks (src/arch/*\/fault.ts). */
export interface ArchFault {
  /** ptep_set_access_flags(vma, address, ptep, entry, dirty): stores, flushes, returns "changed". */
  ptep_set_access_flags(f: FaultEnv, vmf: VmFault, entry: U64, dirty: boolean): boolean;
  update_mmu_cache(f: FaultEnv, addr: U64): void;
  update_mmu_tlb(f: FaultEnv, addr: U64): void;
  flush_tlb_fix_spurious_fault(f: FaultEnv, addr: U64): void;
  /** pte_accessible(mm, pte): ptep_clear_flush flushes only such a PTE (no flush pending in the model). */
  pte_accessible(f: FaultEnv, pte: U64): boolean;
  /** pte_needs_flush(oldpte, newpte): change_protection gathers a flush only for such a change. */
  pte_needs_flush(f: FaultEnv, oldpte: U64, newpte: U64): boolean;
  /** CONFIG_MMU_GATHER_MERGE_VMAS: one flush at tlb_finish_mmu, none at tlb_end_vma. */
  readonly mmu_gather_merge_vmas: boolean;
  /**
   * Reclaim's batched unmap flush (ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH): arch_tlbbatch_should_defer for
   * an mm running on `cpus` when reclaim runs on CPU 0 (model choice), whether
   * arch_tlbbatch_add_pending flushes the page at once (arm64), and what arch_tlbbatch_flush removes
   * from the gathered CPUs' TLBs: nothing more (arm64, a DSB), every non-global entry (x86), every
   * entry (riscv).
   */
  readonly tlbbatch: {
    should_defer(cpus: readonly number[]): boolean;
    readonly add_pending_flushes: boolean;
    readonly batch_flush: 'none' | 'nonglobal' | 'all';
  };
}

/** How a user access ends, when it does not translate. */
export type FaultEnd =
  | { readonly kind: 'signal'; readonly signal: Signal }
  | { readonly kind: 'pagefault_out_of_memory' };

/** An arch's user page fault as the fault loop drives it (src/arch/*\/fault.ts). */
export interface ArchUserFault {
  readonly hooks: ArchFault;
  /** The arguments of the arch's entry for a hardware fault report; undefined for no page fault. */
  entryArgs(report: ArchReport): Readonly<Record<string, unknown>> | undefined;
  /** What the arch does with the VM_FAULT_ERROR bits of a user fault. */
  mm_fault_error(ret: number, args: Readonly<Record<string, unknown>>, cfg: KernelConfig): FaultEnd;
}

/** The state one user access works on. */
export interface FaultEnv {
  readonly m: Machine;
  readonly t: LinuxTables;
  readonly st: LinuxState;
  readonly config: KernelConfig;
  readonly mm: Mm;
  /** The CPU that took the fault and runs the handler. */
  readonly cpu: number;
  readonly arch: ArchFault;
  /** The arch's non-PFN bits of a PTE's halves (ArchLinux.pteFlags). */
  readonly pteFlags: { readonly lo: number; readonly hi: number };
  /** What the VMA predicates read (vma_soft_dirty_enabled). */
  readonly vmaEnv: VmaEnv;
  readonly events: FaultEvent[];
  /** An arch PTE helper of the op table. */
  helper(name: string, a: OpArgs): OpValue | undefined;
  /** vma->vm_page_prot as mmap left it. */
  vmPageProt(vma: Vma): U64;
  /** Another CPU's user access through its MMU only (a race action). */
  otherAccess(cpu: number, va: U64, access: AccessType): void;
  /** Set by handle_userfault when the access waits (src/mm/handle_userfault.ts). */
  blocked?: UffdMessage;
}

/** The UFFD_EVENT_PAGEFAULT message of a waiting access (struct uffd_msg). */
export interface UffdMessage {
  readonly uffd: string;
  /** UFFD_PAGEFAULT_FLAG_* names. */
  readonly flags: readonly string[];
  readonly address: U64;
}

/** struct vm_fault: what the handlers pass along. */
export interface VmFault {
  readonly vma: Vma;
  /** Page aligned. */
  readonly address: U64;
  readonly real_address: U64;
  flags: number;
  readonly pgoff: U64;
  /** The PMD entry's PA. */
  readonly pmd: number;
  /** A hugetlb fault: the level of its entry (vmf.pte is the huge entry's PA). */
  readonly level?: 2 | 3;
  /** The PTE's PA, when the PTE table exists (vmf->pte). */
  pte: number | null;
  orig_pte: U64;
  /** vmf->page as a PFN. */
  page: U64 | null;
  cow_page: U64 | null;
}

export function emit(f: FaultEnv, e: FaultEvent): FaultEvent {
  f.m.work.charge('events');
  f.events.push(e);
  return e;
}

export function warn(f: FaultEnv, func: string): void {
  emit(f, { event: 'warn', func });
}

export const pteOf = (f: FaultEnv, name: string, pte: U64): U64 => f.helper(name, { pte }) as U64;
export const pteIs = (f: FaultEnv, name: string, pte: U64): boolean =>
  f.helper(name, { pte }) === true;
export const pte_pfn = (f: FaultEnv, pte: U64): U64 => f.helper('pte_pfn', { value: pte }) as U64;
/** mk_pte / folio_mk_pte / pfn_pte. */
export const pfn_pte = (f: FaultEnv, pfn: U64, prot: U64): U64 =>
  f.helper('pfn_pte', { pfn, prot }) as U64;

/** include/linux/mm.h:1489 maybe_mkwrite. */
export function maybe_mkwrite(f: FaultEnv, pte: U64, vma: Vma): U64 {
  if (!vma.flags.has('VM_WRITE')) return pte;
  return f.helper('pte_mkwrite', { pte, vmFlags: vma.flags as VmFlags }) as U64;
}

/** The CPUs running the mm (mm_cpumask): those whose translation root is the mm's tree. */
export function mmCpus(m: Machine, mm: Mm): number[] {
  const root = m.treeRoot(mm.tree);
  return m.cpus.flatMap((c, i) => (c.root === root ? [i] : []));
}

/** Remove from these CPUs' TLBs the entries of their current address space (or global) at `addr`. */
export function flushPage(m: Machine, cpus: readonly number[], addr: U64): void {
  for (const i of cpus) {
    const c = m.cpus[i]!;
    tlbInvalidateVa(c, addr, (e) => e.global || e.asid === c.asid);
  }
}

/** The same for every entry overlapping [start, end). */
export function flushPages(m: Machine, cpus: readonly number[], start: U64, end: U64): void {
  for (const i of cpus) {
    const c = m.cpus[i]!;
    tlbInvalidate(
      c,
      (e) => e.vaBase < end && e.vaBase + e.size > start && (e.global || e.asid === c.asid),
    );
  }
}

/** A TLB flush the kernel issues: `local` reaches the faulting CPU, `mm` every CPU running the mm. */
export function flush(f: FaultEnv, event: string, addr: U64, scope: 'local' | 'mm'): void {
  const cpus = scope === 'local' ? [f.cpu] : mmCpus(f.m, f.mm);
  flushPage(f.m, cpus, addr);
  emit(f, { event, addr, cpus });
}

/** A range flush reaching the CPUs running the mm. */
export function flushRange(f: FaultEnv, event: string, start: U64, end: U64): void {
  const cpus = mmCpus(f.m, f.mm);
  flushPages(f.m, cpus, start, end);
  emit(f, { event, addr: start, end, cpus });
}

/** folio_put of a new folio that was not mapped: back to the front of the free pages. */
export function freeFolio(f: FaultEnv, pfn: U64): void {
  f.st.pages.delete(pfn);
  f.st.freePages.unshift(pfn);
}

/**
 * include/linux/leafops.h:358 softleaf_to_pfn: the offset below SWP_PFN_BITS. Model choice: the low 32
 * bits (SWP_PFN_BITS is at least 34 on the three arches, and the migration A/D bits sit above it).
 */
export const softleaf_to_pfn = (f: FaultEnv, entry: U64): U64 =>
  (f.helper('swp_offset', { entry }) as U64) & 0xffffffffn;

/**
 * arm64 contpte (arch/arm64/mm/contpte.c): before it changes an entry of a contiguous block the kernel
 * unfolds the block (contpte_try_unfold), and its ptep_get gathers the block's dirty and young bits.
 * Model choice: neither is modelled on the fault, mprotect, zap and reclaim paths, so a valid
 * PTE_CONT entry met there is refused. (folio_walk_start, install_pte and PAGEMAP_SCAN model them.)
 */
export function refuse_contpte(f: FaultEnv, v: U64, path: string): void {
  if (pte_valid_cont(f.t, v))
    throw new UnsupportedError(
      `an arm64 contiguous (PTE_CONT) entry on the ${path} path: the contpte unfold is not modelled`,
    );
}

/** The PTE's current value (refused for a contpte entry: see refuse_contpte). */
export function ptep_get(f: FaultEnv, pa: number): U64 {
  const v = f.t.read(pa);
  refuse_contpte(f, v, 'fault');
  return v;
}

/** set_pte_at / set_ptes of one PTE (a hugetlb fault's entry at its level): a store recorded as a change. */
export function set_pte_at(f: FaultEnv, vmf: VmFault, pa: number, v: U64): void {
  f.t.write(vmf.vma.mm.tree, vmf.level ?? 4, pa, vmf.address, v);
}

/** The page state of a PFN (a RAM page not listed is not PageAnon, refcount 1). */
export function pageState(st: LinuxState, pfn: U64): PageState {
  let p = st.pages.get(pfn);
  if (!p) {
    p = { anon: false, exclusive: false, refcount: 1, ksm: false, swapcache: false };
    st.pages.set(pfn, p);
  }
  return p;
}

/** The file whose page cache holds `pfn` now (folio->mapping), or undefined. */
export function folioMapping(st: LinuxState, pfn: U64): string | undefined {
  return st.cached.get(pfn)?.file;
}

/** is_zero_pfn. */
export const is_zero_pfn = (st: LinuxState, pfn: U64): boolean => st.zeroPfn === pfn;

/** folio_prealloc / vma_alloc_zeroed_movable_folio: an order-0 folio from the free pages, or null. */
export function allocFolio(f: FaultEnv): U64 | null {
  const pfn = f.st.freePages.shift();
  if (pfn === undefined) return null;
  f.st.pages.set(pfn, { anon: true, exclusive: true, refcount: 1, ksm: false, swapcache: false });
  return pfn;
}

/**
 * __vm_normal_page (mm/memory.c:683) for a PTE with CONFIG_ARCH_HAS_PTE_SPECIAL: a special PTE (the
 * zero page, VM_PFNMAP/VM_MIXEDMAP insertions) has no page, nor a PFN above highest_memmap_pfn.
 */
export function vm_normal_page(f: FaultEnv, pte: U64): U64 | null {
  if (pteIs(f, 'pte_special', pte)) return null;
  const pfn = pte_pfn(f, pte);
  return pfn > f.st.highestPfn ? null : pfn;
}

/** The entry PA at chain level c for the fault's address, from the mm's root. */
function entryPa(f: FaultEnv, c: ChainIndex, parent: number, addr: U64): number {
  return f.t.offset(c, parent, addr, f.m.treeRoot(f.mm.tree));
}

/** p4d_alloc / pud_alloc / pmd_alloc / pte_alloc (mm/memory.c): a table for a none entry. */
export function pXd_alloc(f: FaultEnv, c: ChainIndex, pa: number, addr: U64): void {
  const t = f.t;
  if (!t.chain[c]!.last || !t.none(c, t.read(pa))) return;
  const table = f.m.allocTable('/steps');
  t.write(f.mm.tree, c, pa, addr, t.h.upper.populate(BigInt(table), false));
}

/**
 * __handle_mm_fault's walk (:6331-6377) down to the PMD entry: p4d_alloc, pud_alloc and pmd_alloc
 * populate a none entry above it with a new table. THP never applies at fault time (model choice), so
 * a huge PUD already there is unsupported.
 */
export function walkToPmd(f: FaultEnv, addr: U64): number {
  const t = f.t;
  const pgd = entryPa(f, 0, 0, addr);
  pXd_alloc(f, 0, pgd, addr);
  const p4d = entryPa(f, 1, pgd, addr);
  pXd_alloc(f, 1, p4d, addr);
  const pud = entryPa(f, 2, p4d, addr);
  if (t.leaf(2, t.read(pud)))
    throw new UnsupportedError('a huge PUD on the fault path (wp_huge_pud, huge_pud_set_accessed)');
  pXd_alloc(f, 2, pud, addr);
  return entryPa(f, 3, pud, addr);
}

/** The PTE's PA under a PMD, or null when the PMD has no PTE table (pte_offset_map fails). */
export function pte_offset_map(f: FaultEnv, pmdPa: number, addr: U64): number | null {
  const t = f.t;
  const pmd = t.read(pmdPa);
  if (t.none(3, pmd)) return null;
  if (!t.present(3, pmd) || t.leaf(3, pmd))
    throw new UnsupportedError('a huge or non-present PMD on the fault path');
  return entryPa(f, 4, pmdPa, addr);
}

/** The PTE's PA for `addr` in an mm's tree, without allocating; null where no PTE table maps it. */
export function findPte(f: FaultEnv, mm: Mm, addr: U64): number | null {
  const t = f.t;
  const root = f.m.treeRoot(mm.tree);
  let pa = t.offset(0, 0, addr, root);
  for (const c of [1, 2, 3, 4] as const) {
    const up = (c - 1) as 0 | 1 | 2 | 3;
    const v = t.read(pa);
    if (t.chain[up]!.last && (t.none(up, v) || !t.present(up, v))) return null;
    if ((up === 2 || up === 3) && t.leaf(up, v)) return null;
    pa = t.offset(c, pa, addr, root);
  }
  return pa;
}
