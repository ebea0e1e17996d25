// mm/memory.c (Linux v6.19) do_swap_page (:4624) for a swap entry: the folio from the swap cache, or
// a new one read from the device (the SWP_SYNCHRONOUS_IO path that skips the swap cache, :4710, or
// swapin_readahead into it, :4756), then the new PTE with the soft-dirty and uffd-wp bits of the swap
// PTE (:4964), writable only for an exclusive page that neither uffd-wp nor soft-dirty tracking keeps
// read-only (:4976), and do_wp_page if the write is still pending (:5031). Model choices: order-0
// folios, no readahead of other slots, no writeback in flight, no KSM folio in the swap cache, the
// memory cgroup's swap is not full (mem_cgroup_swap_full is false), the read succeeds at once.

import type { U64 } from '../bits/u64.ts';
import { UnsupportedError, VectorFormatError } from '../errors.ts';
import { pte_needs_soft_dirty_wp } from './change_protection.ts';
import { FAULT_FLAG_WRITE } from './fault-flags.ts';
import { do_wp_page } from './memory-wp.ts';
import { swap_cache_del_folio, swap_count, swapEntryOf } from './swapfile.ts';
import { swp_type } from './swapops.ts';
import { userfaultfd_pte_wp } from './userfaultfd_k.ts';
import {
  allocFolio,
  pageState,
  pfn_pte,
  pteIs,
  pteOf,
  set_pte_at,
  VM_FAULT_ERROR,
  VM_FAULT_MAJOR,
  VM_FAULT_OOM,
  type FaultEnv,
  type VmFault,
} from './vm-fault.ts';

/** :4624 do_swap_page from get_swap_device (:4701) on, for a swap entry. */
export function do_swap_page_entry(f: FaultEnv, vmf: VmFault): number {
  const vma = vmf.vma;
  const entry = swapEntryOf(f, vmf.orig_pte);
  const type = swp_type(entry);
  const si = f.st.swapDevices.get(type);
  if (!si)
    throw new VectorFormatError(
      `a swap PTE of swap type ${type}, which no swap device has (setup.swap_devices); get_swap_device would fail and the fault retry forever`,
      '/setup/swap_devices',
    );
  let ret = 0;
  let folio = f.st.swapCache.get(entry);
  let swapcache = folio;
  if (folio !== undefined) {
    const p = pageState(f.st, folio);
    if (p.ksm) throw new UnsupportedError('ksm_might_need_to_copy is not modelled');
    p.refcount += 1; // swap_cache_get_folio's reference
  } else {
    folio = allocFolio(f) ?? undefined;
    // :4774 no folio: the PTE is unchanged, so VM_FAULT_OOM.
    if (folio === undefined) return VM_FAULT_OOM;
    const p = pageState(f.st, folio);
    p.exclusive = false;
    if (!(si.synchronousIo && swap_count(f, entry) === 1)) {
      // :4756 swapin_readahead: the new folio is in the swap cache (its reference and ours).
      swapcache = folio;
      p.swapcache = true;
      p.swap = entry;
      p.refcount = 2;
      f.st.swapCache.set(entry, folio);
    }
    ret = VM_FAULT_MAJOR; // :4782
  }
  const page = pageState(f.st, folio);
  // :4914 exclusive: the swap PTE's bit, or a fresh folio the swap cache never exposed.
  let exclusive = pteIs(f, 'pte_swp_exclusive', vmf.orig_pte);
  if (folio !== swapcache) exclusive = true;
  // :4958 swap_free_nr drops our PTE's count; should_try_to_free_swap (:4360) then folio_free_swap.
  const tryFree =
    page.swapcache &&
    (vma.flags.has('VM_LOCKED') ||
      ((vmf.flags & FAULT_FLAG_WRITE) !== 0 && !page.ksm && page.refcount === 2));
  if (tryFree && swap_count(f, entry) - 1 === 0) swap_cache_del_folio(f, entry); // folio_free_swap
  let pte = pfn_pte(f, folio, f.vmPageProt(vma));
  if (pteIs(f, 'pte_swp_soft_dirty', vmf.orig_pte)) pte = pteOf(f, 'pte_mksoft_dirty', pte);
  if (pteIs(f, 'pte_swp_uffd_wp', vmf.orig_pte)) pte = pteOf(f, 'pte_mkuffd_wp', pte);
  if (!page.ksm && (exclusive || page.refcount === 1)) {
    const helper = (name: string, a: Parameters<FaultEnv['helper']>[1]) => f.helper(name, a);
    if (
      vma.flags.has('VM_WRITE') &&
      !userfaultfd_pte_wp(f, vma, pte) &&
      !pte_needs_soft_dirty_wp(f.vmaEnv, helper, vma, pte)
    ) {
      pte = f.helper('pte_mkwrite', { pte, vmFlags: vma.flags }) as U64;
      if (vmf.flags & FAULT_FLAG_WRITE) {
        pte = pteOf(f, 'pte_mkdirty', pte);
        vmf.flags &= ~FAULT_FLAG_WRITE;
      }
    }
    page.exclusive = true; // RMAP_EXCLUSIVE
  }
  vmf.orig_pte = pte;
  set_pte_at(f, vmf, vmf.pte!, pte);
  if (vmf.flags & FAULT_FLAG_WRITE) {
    ret |= do_wp_page(f, vmf);
    if (ret & VM_FAULT_ERROR) ret &= VM_FAULT_ERROR;
    return ret;
  }
  f.arch.update_mmu_cache(f, vmf.address);
  return ret;
}
