// mm/rmap.c (Linux v6.19) try_to_unmap (:2260) of an order-0 folio as reclaim calls it
// (mm/vmscan.c:1347, TTU_BATCH_FLUSH), with try_to_unmap_one (:1852) at each PTE that maps it: the PTE
// is cleared and flushed, a file VMA's uffd-wp protection becomes a marker
// (pte_install_uffd_wp_if_needed), an anonymous page becomes its swap entry with the exclusive,
// soft-dirty and uffd-wp bits carried; the flush is immediate or batched as the arch decides
// (should_defer_flush), the batch flushed at the end of the step (try_to_unmap_flush). Model choices:
// the folio is swap-backed (no MADV_FREE), not hwpoisoned, not pinned, not device-mapped;
// swap_duplicate succeeds; reclaim runs on CPU 0.

import type { U64 } from '../bits/u64.ts';
import { VectorFormatError } from '../errors.ts';
import { tlbInvalidate } from '../machine/tlb.ts';
import { eachPte } from './change_protection.ts';
import { i_mmap, type LinuxState, type Mm, type Vma } from './state.ts';
import { mapcounts } from './task_mmu.ts';
import { pte_install_uffd_wp_if_needed } from './zap.ts';
import {
  emit,
  flushRange,
  mmCpus,
  pageState,
  refuse_contpte,
  vm_normal_page,
  type FaultEnv,
} from './vm-fault.ts';

const test = (f: FaultEnv, name: string, a: Record<string, U64>): boolean =>
  f.helper(name, a) === true;

/** The PTE of a VMA that maps `pfn` (page_vma_mapped_walk of an order-0 folio), or null. */
function mappedAt(f: FaultEnv, vma: Vma, pfn: U64, at?: U64): { pa: number; addr: U64 } | null {
  let hit: { pa: number; addr: U64 } | null = null;
  const start = at ?? vma.start;
  const end = at === undefined ? vma.end : at + f.t.pageSize;
  eachPte(f, start, end, (pa, addr) => {
    if (hit) return;
    const v = f.t.read(pa);
    // check_pte (mm/page_vma_mapped.c): a present PTE of the folio's PFN.
    if (test(f, 'pte_present', { pte: v }) && f.helper('pte_pfn', { value: v }) === pfn)
      hit = { pa, addr };
  });
  return hit;
}

/**
 * rmap_walk's VMAs: a file folio's by i_mmap at its index (rmap_walk_file), an anonymous folio's by
 * its anon_vma — every VMA of every mm that maps it here (rmap_walk_anon), in setup order.
 */
function* rmapVmas(st: LinuxState, pfn: U64, shift: number): Generator<[Vma, U64 | undefined]> {
  const cached = st.cached.get(pfn);
  if (!(st.pages.get(pfn)?.anon ?? false) && cached) {
    const page = 1n << BigInt(shift);
    for (const vma of i_mmap(st, cached.file, cached.index, cached.index, page))
      yield [vma, vma.start + ((cached.index - vma.pgoff) << BigInt(shift))];
    return;
  }
  // Reclaim never takes a hugetlb folio (only memory failure does): hugetlb VMAs map none of these.
  for (const mm of st.mms.values())
    for (const vma of mm.vmas) if (!vma.flags.has('VM_HUGETLB')) yield [vma, undefined];
}

/** current->tlb_ubc (mm/rmap.c:649-700): the CPUs of the flush reclaim batched, if one is owed. */
interface TlbUbc {
  flush_required: boolean;
  readonly cpus: Set<number>;
}

/**
 * :2049-2052 the flush of a cleared PTE: should_defer_flush then set_tlb_ubc_flush_pending (:649,
 * nothing for a PTE the TLB cannot hold), else flush_tlb_range.
 */
function unmapFlush(f: FaultEnv, ubc: TlbUbc, pteval: U64, address: U64): void {
  const end = address + f.t.pageSize;
  const cpus = mmCpus(f.m, f.mm);
  const batch = f.arch.tlbbatch;
  if (!batch.should_defer(cpus)) {
    flushRange(f, 'flush_tlb_range', address, end);
    return;
  }
  if (!f.arch.pte_accessible(f, pteval)) return;
  // arch_tlbbatch_add_pending: arm64 sends the TLBIs now; x86 and riscv gather the CPUs.
  if (batch.add_pending_flushes) flushRange(f, 'flush_tlb_range', address, end);
  else for (const c of cpus) ubc.cpus.add(c);
  ubc.flush_required = true;
  f.mm.tlbFlushBatched = true; // mm->tlb_flush_batched, owed to flush_tlb_batched_pending
}

/** mm/rmap.c try_to_unmap_flush (mm/vmscan.c, before the folio is written): arch_tlbbatch_flush. */
function try_to_unmap_flush(f: FaultEnv, ubc: TlbUbc): void {
  if (!ubc.flush_required || f.arch.tlbbatch.batch_flush === 'none') return;
  const all = f.arch.tlbbatch.batch_flush === 'all';
  const cpus = [...ubc.cpus].sort((a, b) => a - b);
  if (cpus.length === 0) return; // an empty cpumask flushes nothing: no event
  for (const i of cpus) {
    const c = f.m.cpus[i]!;
    tlbInvalidate(c, (e) => all || (!e.global && e.asid === c.asid));
  }
  emit(f, { event: 'arch_tlbbatch_flush', cpus });
}

/** :1852 try_to_unmap_one at one PTE; false is walk_abort. */
function try_to_unmap_one(
  f: FaultEnv,
  ubc: TlbUbc,
  vma: Vma,
  pfn: U64,
  pa: number,
  address: U64,
): boolean {
  // :1904 a VM_LOCKED VMA keeps the page (TTU_IGNORE_MLOCK is not a reclaim flag).
  if (vma.flags.has('VM_LOCKED')) return false;
  const page = pageState(f.st, pfn);
  const anon_exclusive = page.anon && page.exclusive;
  const pteval = f.t.read(pa);
  refuse_contpte(f, pteval, 'reclaim');
  // :2040 get_and_clear_ptes, the flush, :2053 folio_mark_dirty.
  f.t.write(vma.mm.tree, 4, pa, address, 0n);
  unmapFlush(f, ubc, pteval, address);
  if (test(f, 'pte_dirty', { pte: pteval })) {
    emit(f, { event: 'folio_mark_dirty', pfn });
    const cached = f.st.cached.get(pfn);
    if (cached) cached.folio.dirty = true;
  }
  // :2064 a file VMA's uffd-wp protection survives as a marker.
  pte_install_uffd_wp_if_needed(f, vma, pa, address, pteval);
  if (page.anon) {
    // :2099 swapbacked != swapcache: the folio was not added to the swap cache.
    // The PTE stays cleared (walk_abort restores nothing here), and the mapcount is not dropped.
    if (!page.swapcache || page.swap === undefined) {
      emit(f, { event: 'warn', func: 'try_to_unmap_one' });
      return false;
    }
    // :2167 folio_try_share_anon_rmap_pte: the page is not pinned, so it becomes shared.
    page.exclusive = false;
    let swp_pte = f.helper('swp_entry_to_pte', { entry: page.swap }) as U64;
    const pte = (name: string) => (swp_pte = f.helper(name, { pte: swp_pte }) as U64);
    if (anon_exclusive) pte('pte_swp_mkexclusive');
    if (test(f, 'pte_soft_dirty', { pte: pteval })) pte('pte_swp_mksoft_dirty');
    if (test(f, 'pte_uffd_wp', { pte: pteval })) pte('pte_swp_mkuffd_wp');
    f.t.write(vma.mm.tree, 4, pa, address, swp_pte);
  }
  // :2218 folio_put_refs: the mapping's reference.
  page.refcount -= 1;
  return true;
}

/**
 * mm/vmscan.c:1347 try_to_unmap(folio, TTU_BATCH_FLUSH) of an order-0 folio; the result is how many
 * PTEs still map it (shrink_folio_list keeps a folio that is still mapped). `envOf` gives an mm's env.
 */
export function try_to_unmap(
  envOf: (mm: Mm) => FaultEnv,
  st: LinuxState,
  pfn: U64,
  shift: number,
): number {
  if (!(st.pages.get(pfn)?.anon ?? false) && !st.cached.has(pfn))
    throw new VectorFormatError(
      'reclaim takes an anonymous folio (setup.pages with anon) or a page-cache folio (setup.files pages)',
      '/args/pfn',
    );
  const ubc: TlbUbc = { flush_required: false, cpus: new Set() };
  let last: FaultEnv | undefined;
  for (const [vma, at] of rmapVmas(st, pfn, shift)) {
    if (vma.flags.has('VM_HUGETLB'))
      throw new VectorFormatError('reclaim does not take a hugetlb folio', '/args/pfn');
    const f = envOf(vma.mm);
    const hit = mappedAt(f, vma, pfn, at);
    if (hit === null) continue;
    if (vm_normal_page(f, f.t.read(hit.pa)) !== pfn) continue;
    last = f;
    // rmap_walk stops when rmap_one fails (:2273).
    if (!try_to_unmap_one(f, ubc, vma, pfn, hit.pa, hit.addr)) break;
  }
  if (last) try_to_unmap_flush(last, ubc);
  return mapcounts(st.mms.values(), envOf).get(pfn) ?? 0;
}
