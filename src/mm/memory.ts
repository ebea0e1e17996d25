// mm/memory.c (Linux v6.19): handle_mm_fault and the handlers of a fault whose PTE is missing or
// present-but-old/clean: __handle_mm_fault, handle_pte_fault, do_anonymous_page, do_fault and its
// read / COW / shared cases, finish_fault and set_pte_range. Write-protect faults are in
// memory-wp.ts. Model choices (README, "The fault loop"): no THP at fault time, order-0 folios, no
// fault-around, no lock contention, vmf_anon_prepare succeeds.

import type { U64 } from '../bits/u64.ts';
import { UnsupportedError, VectorFormatError } from '../errors.ts';
import {
  FAULT_FLAG_ORIG_PTE_VALID,
  FAULT_FLAG_TRIED,
  FAULT_FLAG_UNSHARE,
  FAULT_FLAG_WRITE,
} from './fault-flags.ts';
import {
  do_page_mkwrite,
  do_wp_page,
  fault_dirty_shared_page,
  vmf_can_call_fault,
} from './memory-wp.ts';
import type { Vma } from './state.ts';
import { callVmOp } from './vm-ops.ts';
import { handle_userfault } from './handle_userfault.ts';
import { hugetlb_fault } from './hugetlb_fault.ts';
import { shmem_fault } from './shmem.ts';
import { do_swap_page_entry } from './swapin.ts';
import { userfaultfd_missing, userfaultfd_wp } from './userfaultfd_k.ts';
import {
  allocFolio,
  emit,
  freeFolio,
  maybe_mkwrite,
  pageState,
  pfn_pte,
  pte_offset_map,
  ptep_get,
  pteIs,
  pteOf,
  pXd_alloc,
  set_pte_at,
  VM_FAULT_DONE_COW,
  VM_FAULT_ERROR,
  VM_FAULT_HWPOISON,
  VM_FAULT_LOCKED,
  VM_FAULT_NOPAGE,
  VM_FAULT_OOM,
  VM_FAULT_RETRY,
  VM_FAULT_SIGBUS,
  VM_FAULT_SIGSEGV,
  walkToPmd,
  warn,
  type FaultEnv,
  type VmFault,
} from './vm-fault.ts';

/** :6506 sanitize_fault_flags, for a fault from user space (never UNSHARE, never RETRY_NOWAIT). */
function sanitize_fault_flags(f: FaultEnv, vma: Vma, flags: number): number {
  if (flags & FAULT_FLAG_WRITE) {
    // mm.h is_cow_mapping: VM_MAYWRITE without VM_SHARED.
    const cow = !vma.flags.has('VM_SHARED') && vma.flags.has('VM_MAYWRITE');
    if (!vma.flags.has('VM_MAYWRITE') || (!vma.flags.has('VM_WRITE') && !cow)) {
      warn(f, 'sanitize_fault_flags');
      return VM_FAULT_SIGSEGV;
    }
  }
  return 0;
}

/** :6548 handle_mm_fault, one event with its result. arch_vma_access_permitted allows all (no pkeys). */
export function handle_mm_fault(f: FaultEnv, vma: Vma, address: U64, flags: number): number {
  const e = emit(f, { event: 'handle_mm_fault', vma: vma.name, address, flags });
  let ret = sanitize_fault_flags(f, vma, flags);
  if (!ret) {
    ret = vma.flags.has('VM_HUGETLB')
      ? hugetlb_fault(f, vma, address, flags)
      : __handle_mm_fault(f, vma, address, flags);
  }
  e.ret = ret;
  return ret;
}

/** :6314 __handle_mm_fault. */
function __handle_mm_fault(f: FaultEnv, vma: Vma, address: U64, flags: number): number {
  const shift = BigInt(f.t.pageShift);
  const page = address & ~((1n << shift) - 1n);
  const vmf: VmFault = {
    vma,
    address: page,
    real_address: address,
    flags,
    // linear_page_index
    pgoff: ((page - vma.start) >> shift) + vma.pgoff,
    pmd: walkToPmd(f, address),
    pte: null,
    orig_pte: 0n,
    page: null,
    cow_page: null,
  };
  return handle_pte_fault(f, vmf);
}

/** :6232 handle_pte_fault. */
function handle_pte_fault(f: FaultEnv, vmf: VmFault): number {
  vmf.pte = pte_offset_map(f, vmf.pmd, vmf.address);
  if (vmf.pte !== null) {
    vmf.orig_pte = ptep_get(f, vmf.pte);
    vmf.flags |= FAULT_FLAG_ORIG_PTE_VALID;
    if (pteIs(f, 'pte_none', vmf.orig_pte)) vmf.pte = null;
  } else vmf.flags &= ~FAULT_FLAG_ORIG_PTE_VALID;
  if (vmf.pte === null) return do_pte_missing(f, vmf);
  if (!pteIs(f, 'pte_present', vmf.orig_pte)) return do_swap_page(f, vmf);
  if (pteIs(f, 'pte_protnone', vmf.orig_pte) && vma_is_accessible(vmf.vma))
    throw new UnsupportedError('do_numa_page (a PROT_NONE PTE of NUMA balancing) is not modelled');
  // spin_lock(vmf->ptl): nothing can have changed since the lockless read.
  let entry = vmf.orig_pte;
  if (vmf.flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) {
    if (!pteIs(f, 'pte_write', entry)) return do_wp_page(f, vmf);
    if (vmf.flags & FAULT_FLAG_WRITE) entry = pteOf(f, 'pte_mkdirty', entry);
  }
  entry = pteOf(f, 'pte_mkyoung', entry);
  if (f.arch.ptep_set_access_flags(f, vmf, entry, (vmf.flags & FAULT_FLAG_WRITE) !== 0))
    f.arch.update_mmu_cache(f, vmf.address);
  else fix_spurious_fault(f, vmf);
  return 0;
}

/** include/linux/mm.h vma_is_accessible: VM_READ | VM_WRITE | VM_EXEC. */
const vma_is_accessible = (vma: Vma): boolean =>
  vma.flags.has('VM_READ') || vma.flags.has('VM_WRITE') || vma.flags.has('VM_EXEC');

/** :6196 fix_spurious_fault at the PTE level. */
function fix_spurious_fault(f: FaultEnv, vmf: VmFault): void {
  if (vmf.flags & FAULT_FLAG_TRIED) return;
  if (vmf.flags & FAULT_FLAG_WRITE) f.arch.flush_tlb_fix_spurious_fault(f, vmf.address);
}

/**
 * :4624 do_swap_page: a swap entry (src/mm/swapin.ts), a PTE marker (:4691), hwpoison (:4684).
 * Migration and device entries are not modelled.
 */
function do_swap_page(f: FaultEnv, vmf: VmFault): number {
  const entry = f.helper('softleaf_from_pte', { pte: vmf.orig_pte }) as U64;
  const type = f.helper('softleaf_type', { entry }) as string;
  if (type === 'SOFTLEAF_SWAP') return do_swap_page_entry(f, vmf);
  if (type === 'SOFTLEAF_MARKER') return handle_pte_marker(f, vmf, entry);
  if (type === 'SOFTLEAF_HWPOISON') return VM_FAULT_HWPOISON;
  throw new UnsupportedError(`do_swap_page of a ${type} entry is not modelled`);
}

/** :4423 handle_pte_marker. */
function handle_pte_marker(f: FaultEnv, vmf: VmFault, entry: U64): number {
  // softleaf_to_marker answers a number (src/mm/swapops.ts:95), 0 for an empty marker.
  const marker = f.helper('softleaf_to_marker', { entry }) as number;
  if (marker === 0) {
    warn(f, 'handle_pte_marker');
    return VM_FAULT_SIGBUS;
  }
  if (f.helper('softleaf_is_poison_marker', { entry }) === true) return VM_FAULT_HWPOISON;
  if (f.helper('softleaf_is_guard_marker', { entry }) === true) return VM_FAULT_SIGSEGV;
  if (f.helper('softleaf_is_uffd_wp_marker', { entry }) === true)
    return pte_marker_handle_uffd_wp(f, vmf);
  return VM_FAULT_SIGBUS;
}

/** :4411 pte_marker_handle_uffd_wp: a marker the VMA no longer wants is cleared (:4379). */
function pte_marker_handle_uffd_wp(f: FaultEnv, vmf: VmFault): number {
  if (userfaultfd_wp(vmf.vma)) return do_pte_missing(f, vmf);
  const pa = pte_offset_map(f, vmf.pmd, vmf.address)!;
  if (ptep_get(f, pa) === vmf.orig_pte) f.t.write(vmf.vma.mm.tree, 4, pa, vmf.address, 0n);
  return 0;
}

/** :105 vmf_orig_pte_uffd_wp: the fault came through a uffd-wp marker of a VM_UFFD_WP VMA. */
function vmf_orig_pte_uffd_wp(f: FaultEnv, vmf: VmFault): boolean {
  return (
    userfaultfd_wp(vmf.vma) &&
    (vmf.flags & FAULT_FLAG_ORIG_PTE_VALID) !== 0 &&
    f.helper('pte_is_uffd_wp_marker', { pte: vmf.orig_pte }) === true
  );
}

/** :4399 do_pte_missing: vma_is_anonymous is !vma->vm_ops. */
function do_pte_missing(f: FaultEnv, vmf: VmFault): number {
  return vmf.vma.hasVmOps ? do_fault(f, vmf) : do_anonymous_page(f, vmf);
}

/** pte_alloc for the fault's PMD, then the PTE's PA. */
function pte_alloc(f: FaultEnv, vmf: VmFault): number {
  pXd_alloc(f, 3, vmf.pmd, vmf.address);
  return pte_offset_map(f, vmf.pmd, vmf.address)!;
}

/** :5492 vmf_pte_changed. */
function vmf_pte_changed(f: FaultEnv, vmf: VmFault, pa: number): boolean {
  if (vmf.flags & FAULT_FLAG_ORIG_PTE_VALID) return ptep_get(f, pa) !== vmf.orig_pte;
  return !pteIs(f, 'pte_none', ptep_get(f, pa));
}

/** :5176 do_anonymous_page (order 0: no mTHP; no userfaultfd missing mode). */
function do_anonymous_page(f: FaultEnv, vmf: VmFault): number {
  const vma = vmf.vma;
  if (vma.flags.has('VM_SHARED')) return VM_FAULT_SIGBUS;
  const pa = pte_alloc(f, vmf);
  let entry: U64;
  if (!(vmf.flags & FAULT_FLAG_WRITE)) {
    if (f.st.zeroPfn === undefined)
      throw new VectorFormatError(
        'a read fault on anonymous memory maps the zero page: give setup.zero_pfn',
        '/setup',
      );
    entry = pteOf(f, 'pte_mkspecial', pfn_pte(f, f.st.zeroPfn, f.vmPageProt(vma)));
    if (vmf_pte_changed(f, vmf, pa)) {
      f.arch.update_mmu_tlb(f, vmf.address);
      return 0;
    }
    // :5213 deliver the fault to userland, checked under the PT lock.
    if (userfaultfd_missing(vma)) return handle_userfault(f, vmf, 'VM_UFFD_MISSING');
  } else {
    const folio = allocFolio(f);
    if (folio === null) return VM_FAULT_OOM;
    entry = pfn_pte(f, folio, f.vmPageProt(vma));
    // :5243 if (vma->vm_flags & VM_WRITE) entry = pte_mkwrite(pte_mkdirty(entry), vma).
    if (vma.flags.has('VM_WRITE')) entry = maybe_mkwrite(f, pteOf(f, 'pte_mkdirty', entry), vma);
    if (vmf_pte_changed(f, vmf, pa)) {
      freeFolio(f, folio);
      f.arch.update_mmu_tlb(f, vmf.address);
      return 0;
    }
    // :5261 deliver the fault to userland: the folio goes back.
    if (userfaultfd_missing(vma)) {
      freeFolio(f, folio);
      return handle_userfault(f, vmf, 'VM_UFFD_MISSING');
    }
  }
  // :5273 setpte: a fault through a uffd-wp marker keeps the protection.
  if (vmf_orig_pte_uffd_wp(f, vmf)) entry = pteOf(f, 'pte_mkuffd_wp', entry);
  set_pte_at(f, vmf, pa, entry);
  f.arch.update_mmu_cache(f, vmf.address);
  return 0;
}

/** :5862 do_fault. */
function do_fault(f: FaultEnv, vmf: VmFault): number {
  const vma = vmf.vma;
  if (!vma.vmOps.has('fault')) {
    const pa = pte_offset_map(f, vmf.pmd, vmf.address);
    if (pa === null) return VM_FAULT_SIGBUS;
    return pteIs(f, 'pte_none', ptep_get(f, pa)) ? VM_FAULT_SIGBUS : VM_FAULT_NOPAGE;
  }
  if (!(vmf.flags & FAULT_FLAG_WRITE)) return do_read_fault(f, vmf);
  if (!vma.flags.has('VM_SHARED')) return do_cow_fault(f, vmf);
  return do_shared_fault(f, vmf);
}

/**
 * :5296 __do_fault: ->fault. Its default is the page cache's: the folio at pgoff, locked, or SIGBUS
 * past the end of the file. The PTE table it may preallocate is only taken by finish_fault.
 */
function __do_fault(f: FaultEnv, vmf: VmFault): number {
  const file = vmf.vma.file === undefined ? undefined : f.st.files.get(vmf.vma.file);
  if (file?.shmem) return shmem_fault(f, vmf, file);
  const cached = () => file?.cache.get(vmf.pgoff);
  const ret = callVmOp(f, vmf, 'fault', vmf.flags, () =>
    cached() ? VM_FAULT_LOCKED : VM_FAULT_SIGBUS,
  );
  if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY | VM_FAULT_DONE_COW)) return ret;
  const folio = cached();
  if (!folio)
    throw new VectorFormatError(
      `vm_ops->fault of VMA "${vmf.vma.name}" returned a page, but no page is cached at pgoff 0x${vmf.pgoff.toString(16)}`,
    );
  vmf.page = folio.pfn;
  return ret; // without VM_FAULT_LOCKED, __do_fault locks the folio itself
}

/** :5738 do_read_fault (should_fault_around is false: fault_around_bytes is PAGE_SIZE). */
function do_read_fault(f: FaultEnv, vmf: VmFault): number {
  let ret = vmf_can_call_fault(vmf);
  if (ret) return ret;
  ret = __do_fault(f, vmf);
  if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY)) return ret;
  return ret | finish_fault(f, vmf);
}

/** :5770 do_cow_fault; copy_mc_user_highpage succeeds. */
function do_cow_fault(f: FaultEnv, vmf: VmFault): number {
  let ret = vmf_can_call_fault(vmf);
  if (ret) return ret;
  const folio = allocFolio(f);
  if (folio === null) return VM_FAULT_OOM;
  vmf.cow_page = folio;
  // uncharge_out: a folio the fault did not map goes back.
  const failed = (r: number) => (r & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY)) !== 0;
  ret = __do_fault(f, vmf);
  if (failed(ret)) {
    freeFolio(f, folio);
    return ret;
  }
  if (ret & VM_FAULT_DONE_COW) return ret;
  ret |= finish_fault(f, vmf);
  if (failed(ret)) freeFolio(f, folio);
  return ret;
}

/** :5812 do_shared_fault. */
function do_shared_fault(f: FaultEnv, vmf: VmFault): number {
  let ret = vmf_can_call_fault(vmf);
  if (ret) return ret;
  ret = __do_fault(f, vmf);
  if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY)) return ret;
  if (vmf.vma.vmOps.has('page_mkwrite')) {
    const tmp = do_page_mkwrite(f, vmf, vmf.page!);
    if (!tmp || tmp & (VM_FAULT_ERROR | VM_FAULT_NOPAGE)) return tmp;
  }
  ret |= finish_fault(f, vmf);
  if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY)) return ret;
  return ret | fault_dirty_shared_page(f, vmf);
}

/**
 * :5515 finish_fault for an order-0 folio: the PTE table (pmd_install of the prealloc, or pte_alloc),
 * then one PTE unless it changed meanwhile.
 */
function finish_fault(f: FaultEnv, vmf: VmFault): number {
  const is_cow = (vmf.flags & FAULT_FLAG_WRITE) !== 0 && !vmf.vma.flags.has('VM_SHARED');
  const page = is_cow ? vmf.cow_page! : vmf.page!;
  const pa = pte_alloc(f, vmf);
  if (vmf_pte_changed(f, vmf, pa)) {
    f.arch.update_mmu_tlb(f, vmf.address);
    return VM_FAULT_NOPAGE;
  }
  set_pte_range(f, vmf, page, pa);
  return 0;
}

/** :5456 set_pte_range for the faulting page (not a prefault: pte_sw_mkyoung, the identity here). */
function set_pte_range(f: FaultEnv, vmf: VmFault, pfn: U64, pa: number): void {
  const vma = vmf.vma;
  let entry = pfn_pte(f, pfn, f.vmPageProt(vma));
  if (vmf.flags & FAULT_FLAG_WRITE) entry = maybe_mkwrite(f, pteOf(f, 'pte_mkdirty', entry), vma);
  else if (pteIs(f, 'pte_write', entry) && folioDirty(f, pfn))
    entry = pteOf(f, 'pte_mkdirty', entry);
  if (vmf_orig_pte_uffd_wp(f, vmf)) entry = pteOf(f, 'pte_mkuffd_wp', entry);
  if ((vmf.flags & FAULT_FLAG_WRITE) !== 0 && !vma.flags.has('VM_SHARED')) {
    const p = pageState(f.st, pfn); // folio_add_new_anon_rmap(RMAP_EXCLUSIVE)
    p.exclusive = true;
  }
  set_pte_at(f, vmf, pa, entry);
  f.arch.update_mmu_cache(f, vmf.address);
}

/** folio_test_dirty of a page-cache folio (a folio in no page cache is clean). */
export function folioDirty(f: FaultEnv, pfn: U64): boolean {
  return f.st.cached.get(pfn)?.folio.dirty ?? false;
}
