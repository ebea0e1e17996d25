// mm/swapfile.c (Linux v6.19) as far as the model keeps swap: an entry's swap count (the swap PTEs that
// hold it: no shmem swap, no swap_map of its own), folio_free_swap (:1929) and free_swap_and_cache_nr
// (:1951) taking a folio out of the swap cache (mm/swap_state.c swap_cache_del_folio).

import type { U64 } from '../bits/u64.ts';
import { eachPte } from './change_protection.ts';
import { swp_entry, swp_offset, swp_type } from './swapops.ts';
import { folio_mapcount } from './task_mmu.ts';
import { pageState, pteIs, type FaultEnv } from './vm-fault.ts';

/** The swp_entry_t of a swap PTE without its PTE bits (softleaf_from_pte keeps type and offset). */
export function swapEntryOf(f: FaultEnv, pte: U64): U64 {
  const e = f.helper('softleaf_from_pte', { pte }) as U64;
  return swp_entry(swp_type(e), swp_offset(e));
}

/** __swap_count: the swap PTEs that hold the entry, in every mm. */
export function swap_count(f: FaultEnv, entry: U64): number {
  let n = 0;
  for (const mm of f.st.mms.values()) {
    const g = mm === f.mm ? f : { ...f, mm };
    for (const vma of mm.vmas)
      if (!vma.flags.has('VM_HUGETLB'))
        eachPte(g, vma.start, vma.end, (pa) => {
          const v = g.t.read(pa);
          if (pteIs(g, 'pte_none', v) || pteIs(g, 'pte_present', v)) return;
          const leaf = g.helper('softleaf_from_pte', { pte: v }) as U64;
          if (g.helper('softleaf_type', { entry: leaf }) !== 'SOFTLEAF_SWAP') return;
          if (swapEntryOf(g, v) === entry) n++;
        });
  }
  return n;
}

/** swap_cache_del_folio: the folio leaves the swap cache, and the cache's reference goes. */
export function swap_cache_del_folio(f: FaultEnv, entry: U64): void {
  const pfn = f.st.swapCache.get(entry);
  if (pfn === undefined) return;
  f.st.swapCache.delete(entry);
  const page = pageState(f.st, pfn);
  page.swapcache = false;
  delete page.swap;
  page.refcount -= 1;
}

/**
 * __try_to_reclaim_swap(TTRS_UNMAPPED) (:1951 free_swap_and_cache_nr) and free_swap_cache
 * (mm/swap_state.c): the folio of a slot no PTE holds any more leaves the swap cache unless it is
 * mapped (the memory cgroup's swap is not full, so TTRS_FULL never applies: model choice).
 */
export function try_to_reclaim_swap(f: FaultEnv, entry: U64): void {
  const pfn = f.st.swapCache.get(entry);
  if (pfn === undefined || swap_count(f, entry) > 0 || folio_mapcount(f, pfn) > 0) return;
  swap_cache_del_folio(f, entry);
}

/** :1951 free_swap_and_cache_nr of one swap PTE that was just cleared. */
export const free_swap_and_cache = (f: FaultEnv, pte: U64): void =>
  try_to_reclaim_swap(f, swapEntryOf(f, pte));
