// x86_64 vm_get_page_prot: arch/x86/mm/pgprot.c protection_map, PKEY bits, __supported_pte_mask.
// Values derived from pgtable_types.h:205-212 (kernel-facts §2.1).

import { bit, not64, type U64 } from '../../bits/u64.ts';
import type { KernelConfig } from '../../config.ts';
import type { ArchProt } from '../../mm/arch.ts';
import { protectionMapIndex, type VmFlags } from '../../mm/vm-flags.ts';
import { _PAGE_BIT_PKEY_BIT0 } from './bits.ts';
import {
  _PAGE_ACCESSED,
  _PAGE_GLOBAL,
  _PAGE_NX,
  _PAGE_PRESENT,
  _PAGE_RW,
  _PAGE_USER,
  pageChgMask,
} from './pgtable.ts';

export const PAGE_NONE = _PAGE_ACCESSED | _PAGE_GLOBAL;
export const PAGE_SHARED_EXEC = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED;
export const PAGE_SHARED = PAGE_SHARED_EXEC | _PAGE_NX;
export const PAGE_COPY_EXEC = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;
export const PAGE_COPY = PAGE_COPY_EXEC | _PAGE_NX;
export const PAGE_READONLY = PAGE_COPY;
export const PAGE_READONLY_EXEC = PAGE_COPY_EXEC;

/** protection_map[VM_READ|VM_WRITE|VM_EXEC|VM_SHARED] (arch/x86/mm/pgprot.c). */
const protection_map: readonly U64[] = [
  PAGE_NONE, // VM_NONE
  PAGE_READONLY, // VM_READ
  PAGE_COPY, // VM_WRITE
  PAGE_COPY, // VM_WRITE | VM_READ
  PAGE_READONLY_EXEC, // VM_EXEC
  PAGE_READONLY_EXEC, // VM_EXEC | VM_READ
  PAGE_COPY_EXEC, // VM_EXEC | VM_WRITE
  PAGE_COPY_EXEC, // VM_EXEC | VM_WRITE | VM_READ
  PAGE_NONE, // VM_SHARED
  PAGE_READONLY, // VM_SHARED | VM_READ
  PAGE_SHARED, // VM_SHARED | VM_WRITE
  PAGE_SHARED, // VM_SHARED | VM_WRITE | VM_READ
  PAGE_READONLY_EXEC, // VM_SHARED | VM_EXEC
  PAGE_READONLY_EXEC, // VM_SHARED | VM_EXEC | VM_READ
  PAGE_SHARED_EXEC, // VM_SHARED | VM_EXEC | VM_WRITE
  PAGE_SHARED_EXEC, // VM_SHARED | VM_EXEC | VM_WRITE | VM_READ
];

const PKEY_FLAGS = ['VM_PKEY_BIT0', 'VM_PKEY_BIT1', 'VM_PKEY_BIT2', 'VM_PKEY_BIT3'] as const;

/**
 * Model choice: __supported_pte_mask is ~0 (NX available, no PTI clearing _PAGE_GLOBAL), and
 * __sme_set is the identity (no memory encryption).
 */
export function vm_get_page_prot(flags: VmFlags, cfg: KernelConfig): U64 {
  let val = protection_map[protectionMapIndex(flags)] ?? PAGE_NONE;
  if (cfg.CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS) {
    PKEY_FLAGS.forEach((f, i) => {
      if (flags.has(f)) val |= bit(_PAGE_BIT_PKEY_BIT0 + i);
    });
  }
  return val;
}

export const x86Prot: ArchProt = {
  // pgtable.h:862: mprotect keeps the PAT, caching and encryption bits (_PAGE_CHG_MASK) of the old prot.
  pgprot_modify: (oldprot, newprot, cfg) =>
    (oldprot & pageChgMask(cfg)) | (newprot & not64(pageChgMask(cfg))),
  supportsSoftDirty: (cfg) => cfg.CONFIG_MEM_SOFT_DIRTY,
};
