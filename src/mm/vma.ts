// mm/vma.c and mm/mmap.c (Linux v6.19): whether a shared writable VMA wants write notification, and
// the vm_page_prot that follows from it. A VMA that wants it gets the private protection_map entry,
// without the hardware write bit, so that the first write to each page faults (kernel-facts §10).

import type { U64 } from '../bits/u64.ts';
import type { KernelConfig } from '../config.ts';
import { VectorFormatError } from '../errors.ts';
import type { ArchProt } from './arch.ts';
import type { LinuxState, Vma } from './state.ts';
import type { VmFlags } from './vm-flags.ts';

/** What the decisions read of the arch and the configuration. */
export interface VmaEnv {
  readonly prot: ArchProt;
  readonly config: KernelConfig;
  readonly st: LinuxState;
  /** The arch's vm_get_page_prot(vm_flags). */
  readonly vm_get_page_prot: (flags: VmFlags) => U64;
}

/** mm/vma.h:420 vm_pgprot_modify. */
export function vm_pgprot_modify(e: VmaEnv, oldprot: U64, flags: VmFlags): U64 {
  return e.prot.pgprot_modify(oldprot, e.vm_get_page_prot(flags), e.config);
}

/**
 * vma->vm_page_prot as every step reads it: what ->mmap left (the setup's vm_page_prot, default
 * vm_get_page_prot(vm_flags), which mmap_region sets first) after mmap_region's own
 * vma_set_page_prot (mm/vma.c:2606 __mmap_complete), unless a step has set it since. Applied on the
 * first read, so that a setup's value is the one ->mmap left, as the schema says.
 */
export function vmPageProt(e: VmaEnv, vma: Vma): U64 {
  return vma.pageProtSet ? vma.vmPageProt! : vma_set_page_prot(e, vma);
}

/** mm/vma.c:2031. */
const vm_ops_needs_writenotify = (vma: Vma): boolean =>
  vma.vmOps.has('page_mkwrite') || vma.vmOps.has('pfn_mkwrite');

/** mm/vma.c:2036. */
const vma_is_shared_writable = (vma: Vma): boolean =>
  vma.flags.has('VM_WRITE') && vma.flags.has('VM_SHARED');

/** mm/internal.h:1541 (support implies CONFIG_MEM_SOFT_DIRTY, so VM_SOFTDIRTY is a real flag). */
export function vma_soft_dirty_enabled(e: VmaEnv, vma: Vma): boolean {
  return e.prot.supportsSoftDirty(e.config) && !vma.flags.has('VM_SOFTDIRTY');
}

/** include/linux/userfaultfd_k.h:184 (:357 without CONFIG_USERFAULTFD). */
export const userfaultfd_wp = (e: VmaEnv, vma: Vma): boolean =>
  e.config.CONFIG_USERFAULTFD && vma.flags.has('VM_UFFD_WP');

/** mm/vma.c:2042. */
function vma_fs_can_writeback(e: VmaEnv, vma: Vma): boolean {
  if (vma.flags.has('VM_PFNMAP')) return false;
  if (vma.file === undefined) return false;
  const mapping = e.st.files.get(vma.file);
  if (!mapping)
    throw new VectorFormatError(
      `mapping_can_writeback of file "${vma.file}" (VMA "${vma.name}") is read: list the file in setup.files with can_writeback`,
      '/setup/files',
    );
  return mapping.canWriteback;
}

/** mm/vma.c:2079. */
export function vma_wants_writenotify(e: VmaEnv, vma: Vma, vm_page_prot: U64): boolean {
  if (!vma_is_shared_writable(vma)) return false;
  if (vm_ops_needs_writenotify(vma)) return true;
  // The open routine changed the protections in a way pgprot_modify would not keep.
  if (vm_page_prot !== vm_pgprot_modify(e, vm_page_prot, vma.flags)) return false;
  if (vma_soft_dirty_enabled(e, vma) && !vma.flags.has('VM_HUGETLB')) return true;
  if (userfaultfd_wp(e, vma)) return true;
  return vma_fs_can_writeback(e, vma);
}

/** mm/mmap.c:81: vm_page_prot from vm_flags, the private (read-only) form when writenotify is wanted. */
export function vma_set_page_prot(e: VmaEnv, vma: Vma): U64 {
  let flags = vma.flags;
  let prot = vm_pgprot_modify(e, vma.vmPageProt ?? e.vm_get_page_prot(flags), flags);
  if (vma_wants_writenotify(e, vma, prot)) {
    flags = new Set([...flags].filter((f) => f !== 'VM_SHARED'));
    prot = vm_pgprot_modify(e, prot, flags);
  }
  vma.vmPageProt = prot;
  vma.pageProtSet = true;
  return prot;
}

/** mm/vma.h:406: whether mprotect decides per PTE that it may become writable. */
export function vma_wants_manual_pte_write_upgrade(e: VmaEnv, vma: Vma): boolean {
  if (vma.flags.has('VM_SHARED')) return vma_wants_writenotify(e, vma, vmPageProt(e, vma));
  return vma.flags.has('VM_WRITE');
}
