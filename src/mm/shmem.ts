// mm/shmem.c (Linux v6.19) shmem_fault (:2766) → shmem_get_folio_gfp (:2484) with SGP_CACHE, for an
// order-0 folio: past i_size SIGBUS; a cached folio (and MINOR mode: a userfault); a hole (MISSING
// mode: a userfault), otherwise a new zeroed folio added to the page cache. No fallocate, no swap.

import { handle_userfault } from './handle_userfault.ts';
import type { AddressSpace } from './state.ts';
import { userfaultfd_minor, userfaultfd_missing } from './userfaultfd_k.ts';
import {
  allocFolio,
  VM_FAULT_LOCKED,
  VM_FAULT_OOM,
  VM_FAULT_SIGBUS,
  type FaultEnv,
  type VmFault,
} from './vm-fault.ts';

export function shmem_fault(f: FaultEnv, vmf: VmFault, file: AddressSpace): number {
  // :2501 index >= i_size: -EINVAL, vmf_error gives VM_FAULT_SIGBUS.
  if (vmf.pgoff >= file.size!) return VM_FAULT_SIGBUS;
  const cached = file.cache.get(vmf.pgoff);
  // :2509 any page-cache entry and MINOR mode.
  if (cached && userfaultfd_minor(vmf.vma)) return handle_userfault(f, vmf, 'VM_UFFD_MINOR');
  if (cached) {
    vmf.page = cached.pfn;
    return VM_FAULT_LOCKED;
  }
  // :2560 a hole and MISSING mode.
  if (userfaultfd_missing(vmf.vma)) return handle_userfault(f, vmf, 'VM_UFFD_MISSING');
  // :2584 shmem_alloc_and_add_folio: a new folio, zeroed and uptodate (:2625), in the page cache.
  const pfn = allocFolio(f);
  if (pfn === null) return VM_FAULT_OOM;
  f.st.pages.delete(pfn);
  const folio = { pfn, dirty: false };
  file.cache.set(vmf.pgoff, folio);
  f.st.cached.set(pfn, { file: file.name, index: vmf.pgoff, folio });
  vmf.page = pfn;
  return VM_FAULT_LOCKED;
}
