// mm/memory.c (Linux v6.19): write faults on a present read-only PTE — do_wp_page and its shared
// (wp_page_shared with page_mkwrite, wp_pfn_shared with pfn_mkwrite) and private (reuse or
// wp_page_copy) cases, with the revalidation of finish_mkwrite_fault (the seed's "someone else may
// have changed the PTE while the lock was dropped").

import type { U64 } from '../bits/u64.ts';
import { UnsupportedError } from '../errors.ts';
import {
  FAULT_FLAG_ALLOW_RETRY,
  FAULT_FLAG_MKWRITE,
  FAULT_FLAG_RETRY_NOWAIT,
  FAULT_FLAG_TRIED,
  FAULT_FLAG_VMA_LOCK,
  FAULT_FLAG_WRITE,
} from './fault-flags.ts';
import { handle_userfault } from './handle_userfault.ts';
import { swap_cache_del_folio, swap_count, try_to_reclaim_swap } from './swapfile.ts';
import { userfaultfd_pte_wp, userfaultfd_wp, userfaultfd_wp_async } from './userfaultfd_k.ts';
import { callVmOp } from './vm-ops.ts';
import {
  allocFolio,
  emit,
  flush,
  freeFolio,
  folioMapping,
  is_zero_pfn,
  maybe_mkwrite,
  pageState,
  pfn_pte,
  pte_pfn,
  ptep_get,
  pteOf,
  set_pte_at,
  vm_normal_page,
  VM_FAULT_COMPLETED,
  VM_FAULT_ERROR,
  VM_FAULT_LOCKED,
  VM_FAULT_NOPAGE,
  VM_FAULT_OOM,
  VM_FAULT_RETRY,
  VM_FAULT_SIGBUS,
  warn,
  type FaultEnv,
  type VmFault,
} from './vm-fault.ts';

/** :4091 do_wp_page, entered with the PTL held (never UNSHARE: a user fault). */
export function do_wp_page(f: FaultEnv, vmf: VmFault): number {
  const vma = vmf.vma;
  if (userfaultfd_pte_wp(f, vma, ptep_get(f, vmf.pte!))) {
    if (!userfaultfd_wp_async(vma)) return handle_userfault(f, vmf, 'VM_UFFD_WP');
    // :4111 the bit is invisible to the hardware: no flush.
    const pte = pteOf(f, 'pte_clear_uffd_wp', ptep_get(f, vmf.pte!));
    set_pte_at(f, vmf, vmf.pte!, pte);
    vmf.orig_pte = pte;
  }
  // :4125 a deferred uffd-wp flush (mm_tlb_flush_pending) is done before the copy.
  if (userfaultfd_wp(vma) && vma.mm.tlbFlushPending > 0)
    flush(f, 'flush_tlb_page', vmf.address, 'mm');
  vmf.page = vm_normal_page(f, vmf.orig_pte);
  if (vma.flags.has('VM_SHARED') || vma.flags.has('VM_MAYSHARE')) {
    if (vmf.page === null) return wp_pfn_shared(f, vmf);
    return wp_page_shared(f, vmf, vmf.page);
  }
  const page = vmf.page === null ? undefined : pageState(f.st, vmf.page);
  if (page?.anon && (page.exclusive || wp_can_reuse_anon_folio(f, page))) {
    page.exclusive = true; // SetPageAnonExclusive
    wp_page_reuse(f, vmf);
    return 0;
  }
  return wp_page_copy(f, vmf);
}

/** :4028 wp_can_reuse_anon_folio for an order-0 folio on the LRU; folio_trylock succeeds. */
function wp_can_reuse_anon_folio(f: FaultEnv, p: ReturnType<typeof pageState>): boolean {
  if (p.ksm || p.refcount > 3) return false;
  if (p.refcount > 1 + (p.swapcache ? 1 : 0)) return false;
  // mm/swapfile.c:1929 folio_free_swap: only when no swap PTE holds the folio's slot any more.
  if (p.swapcache && (p.swap === undefined || swap_count(f, p.swap) === 0)) {
    if (p.swap === undefined) {
      p.swapcache = false;
      p.refcount -= 1;
    } else swap_cache_del_folio(f, p.swap);
  }
  return !p.ksm && p.refcount === 1;
}

/** :3640 vmf_can_call_fault. */
export function vmf_can_call_fault(vmf: VmFault): number {
  if (vmf.vma.vmOps.has('map_pages') || !(vmf.flags & FAULT_FLAG_VMA_LOCK)) return 0;
  return VM_FAULT_RETRY;
}

/** :3606 wp_page_reuse: young, dirty, writable if VM_WRITE (flush_cache_page is empty here). */
function wp_page_reuse(f: FaultEnv, vmf: VmFault): void {
  let entry = pteOf(f, 'pte_mkyoung', vmf.orig_pte);
  entry = maybe_mkwrite(f, pteOf(f, 'pte_mkdirty', entry), vmf.vma);
  if (f.arch.ptep_set_access_flags(f, vmf, entry, true)) f.arch.update_mmu_cache(f, vmf.address);
}

/** :3868 finish_mkwrite_fault: revalidate the PTE the lock was dropped for. */
function finish_mkwrite_fault(f: FaultEnv, vmf: VmFault): number {
  if (!vmf.vma.flags.has('VM_SHARED')) warn(f, 'finish_mkwrite_fault');
  if (ptep_get(f, vmf.pte!) !== vmf.orig_pte) {
    f.arch.update_mmu_tlb(f, vmf.address);
    return VM_FAULT_NOPAGE;
  }
  wp_page_reuse(f, vmf);
  return 0;
}

/** :3892 wp_pfn_shared. */
function wp_pfn_shared(f: FaultEnv, vmf: VmFault): number {
  if (vmf.vma.vmOps.has('pfn_mkwrite')) {
    let ret = vmf_can_call_fault(vmf);
    if (ret) return ret;
    vmf.flags |= FAULT_FLAG_MKWRITE;
    ret = callVmOp(f, vmf, 'pfn_mkwrite', vmf.flags, () => 0);
    if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE)) return ret;
    return finish_mkwrite_fault(f, vmf);
  }
  wp_page_reuse(f, vmf);
  return 0;
}

/** :3914 wp_page_shared. */
function wp_page_shared(f: FaultEnv, vmf: VmFault, folio: U64): number {
  if (vmf.vma.vmOps.has('page_mkwrite')) {
    let tmp = vmf_can_call_fault(vmf);
    if (tmp) return tmp;
    tmp = do_page_mkwrite(f, vmf, folio);
    if (!tmp || tmp & (VM_FAULT_ERROR | VM_FAULT_NOPAGE)) return tmp;
    tmp = finish_mkwrite_fault(f, vmf);
    if (tmp & (VM_FAULT_ERROR | VM_FAULT_NOPAGE)) return tmp;
  } else wp_page_reuse(f, vmf);
  return fault_dirty_shared_page(f, vmf);
}

/**
 * :3520 do_page_mkwrite: ->page_mkwrite with vmf->flags = WRITE|MKWRITE. A folio it did not lock is
 * locked here; one truncated meanwhile (folio->mapping NULL) gives 0, and the access is retried.
 */
export function do_page_mkwrite(f: FaultEnv, vmf: VmFault, folio: U64): number {
  const file = vmf.vma.file === undefined ? undefined : f.st.files.get(vmf.vma.file);
  if (file?.swapfile) return VM_FAULT_SIGBUS;
  let ret = callVmOp(
    f,
    vmf,
    'page_mkwrite',
    FAULT_FLAG_WRITE | FAULT_FLAG_MKWRITE,
    () => VM_FAULT_LOCKED,
  );
  if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE)) return ret;
  if (!(ret & VM_FAULT_LOCKED)) {
    if (folioMapping(f.st, folio) === undefined) return 0;
    ret |= VM_FAULT_LOCKED;
  }
  return ret;
}

/**
 * :3553 fault_dirty_shared_page: folio_mark_dirty; then, when it dirtied the folio or the VMA has
 * page_mkwrite, and the folio has a mapping, maybe_unlock_mmap_for_io (mm/internal.h:1113) drops the
 * lock on a first attempt, and the fault is VM_FAULT_COMPLETED.
 */
export function fault_dirty_shared_page(f: FaultEnv, vmf: VmFault): number {
  const pfn = vmf.page!;
  emit(f, { event: 'folio_mark_dirty', pfn });
  const cached = f.st.cached.get(pfn);
  const file = cached?.file;
  const dirtied = cached !== undefined && !cached.folio.dirty;
  if (cached) cached.folio.dirty = true;
  const page_mkwrite = vmf.vma.vmOps.has('page_mkwrite');
  const first =
    (vmf.flags & FAULT_FLAG_ALLOW_RETRY) !== 0 &&
    (vmf.flags & (FAULT_FLAG_TRIED | FAULT_FLAG_RETRY_NOWAIT)) === 0;
  if ((dirtied || page_mkwrite) && file !== undefined && first) return VM_FAULT_COMPLETED;
  return 0;
}

/**
 * :3700 wp_page_copy (never UNSHARE): a new anonymous folio, a copy of the old page (always
 * succeeds), mapped writable and dirty in place of the old PTE by ptep_clear_flush and set_pte_at.
 */
function wp_page_copy(f: FaultEnv, vmf: VmFault): number {
  const vma = vmf.vma;
  if (vmf.page === null && !is_zero_pfn(f.st, pte_pfn(f, vmf.orig_pte)))
    throw new UnsupportedError(
      'a COW of a PTE without a struct page (__wp_page_copy_user from the user address) is not modelled',
    );
  const folio = allocFolio(f);
  if (folio === null) return VM_FAULT_OOM;
  const pa = vmf.pte!;
  if (ptep_get(f, pa) === vmf.orig_pte) {
    let entry = pfn_pte(f, folio, f.vmPageProt(vma));
    entry = maybe_mkwrite(f, pteOf(f, 'pte_mkdirty', entry), vma);
    // ptep_clear_flush (mm/pgtable-generic.c): flush_tlb_page when the old PTE was accessible.
    set_pte_at(f, vmf, pa, 0n);
    if (f.arch.pte_accessible(f, vmf.orig_pte)) flush(f, 'flush_tlb_page', vmf.address, 'mm');
    set_pte_at(f, vmf, pa, entry);
    f.arch.update_mmu_cache(f, vmf.address);
    // :3817 folio_remove_rmap_pte, :3832 folio_put: the old folio loses this mapping's reference;
    // :3835 free_swap_cache: an old folio no PTE maps leaves the swap cache if its slot is free.
    const old = vmf.page === null ? undefined : f.st.pages.get(vmf.page);
    if (old) {
      old.refcount -= 1;
      if (old.swap !== undefined) try_to_reclaim_swap(f, old.swap);
    }
  } else {
    f.arch.update_mmu_tlb(f, vmf.address);
    freeFolio(f, folio);
  }
  return 0;
}
