// arm64 vm_get_page_prot: arch/arm64/mm/mmap.c protection_map and adjust_protection_map (EPAN),
// prot values from pgtable-prot.h:59-63,122-128 with MT_NORMAL = 0 and no LPA2 (kernel-facts §3.1).

import { not64, type U64 } from '../../bits/u64.ts';
import type { KernelConfig } from '../../config.ts';
import type { ArchProt } from '../../mm/arch.ts';
import { genericPgprotModify, type CacheAttrs } from '../pgprot-generic.ts';
import { protectionMapIndex, type VmFlags } from '../../mm/vm-flags.ts';
import * as B from './bits.ts';

const PTE_TYPE_PAGE = 3n;
const _PAGE_DEFAULT = PTE_TYPE_PAGE | B.PTE_AF | B.PTE_SHARED; // | PTE_ATTRINDX(MT_NORMAL = 0)
export const PAGE_NONE =
  (_PAGE_DEFAULT & not64(B.PTE_VALID)) |
  B.PTE_PRESENT_INVALID |
  B.PTE_RDONLY |
  B.PTE_NG |
  B.PTE_PXN |
  B.PTE_UXN;
export const PAGE_SHARED =
  _PAGE_DEFAULT | B.PTE_USER | B.PTE_RDONLY | B.PTE_NG | B.PTE_PXN | B.PTE_UXN | B.PTE_WRITE;
export const PAGE_SHARED_EXEC =
  _PAGE_DEFAULT | B.PTE_USER | B.PTE_RDONLY | B.PTE_NG | B.PTE_PXN | B.PTE_WRITE;
export const PAGE_READONLY =
  _PAGE_DEFAULT | B.PTE_USER | B.PTE_RDONLY | B.PTE_NG | B.PTE_PXN | B.PTE_UXN;
export const PAGE_READONLY_EXEC = _PAGE_DEFAULT | B.PTE_USER | B.PTE_RDONLY | B.PTE_NG | B.PTE_PXN;
export const PAGE_EXECONLY = _PAGE_DEFAULT | B.PTE_RDONLY | B.PTE_NG | B.PTE_PXN;

const protection_map: readonly U64[] = [
  PAGE_NONE, // VM_NONE
  PAGE_READONLY, // VM_READ
  PAGE_READONLY, // VM_WRITE
  PAGE_READONLY, // VM_WRITE | VM_READ
  PAGE_READONLY_EXEC, // VM_EXEC (PAGE_EXECONLY with EPAN)
  PAGE_READONLY_EXEC, // VM_EXEC | VM_READ
  PAGE_READONLY_EXEC, // VM_EXEC | VM_WRITE
  PAGE_READONLY_EXEC, // VM_EXEC | VM_WRITE | VM_READ
  PAGE_NONE, // VM_SHARED
  PAGE_READONLY, // VM_SHARED | VM_READ
  PAGE_SHARED, // VM_SHARED | VM_WRITE
  PAGE_SHARED, // VM_SHARED | VM_WRITE | VM_READ
  PAGE_READONLY_EXEC, // VM_SHARED | VM_EXEC (PAGE_EXECONLY with EPAN)
  PAGE_READONLY_EXEC, // VM_SHARED | VM_EXEC | VM_READ
  PAGE_SHARED_EXEC, // VM_SHARED | VM_EXEC | VM_WRITE
  PAGE_SHARED_EXEC, // VM_SHARED | VM_EXEC | VM_WRITE | VM_READ
];

/** Model choice: no GCS, BTI, MTE or POE vm flags (the schema has none of them yet). */
export function vm_get_page_prot(flags: VmFlags, cfg: KernelConfig): U64 {
  const i = protectionMapIndex(flags);
  if (cfg.ARM64_HAS_EPAN && (i === 4 || i === 12)) return PAGE_EXECONLY;
  return protection_map[i] ?? PAGE_NONE;
}

// pgtable.h:787-796 (MT_* of memory.h:171-175): __pgprot_modify(prot, PTE_ATTRINDX_MASK, ...).
const attrs = (mt: bigint, xn: U64) => (p: U64) =>
  (p & not64(B.PTE_ATTRINDX_MASK)) | (mt << 2n) | xn;
const MT_NORMAL_NC = 2n;
const MT_DEVICE_nGnRnE = 3n;
const MT_DEVICE_nGnRE = 4n;
const cache: CacheAttrs = {
  pgprot_noncached: attrs(MT_DEVICE_nGnRnE, B.PTE_PXN | B.PTE_UXN),
  pgprot_writecombine: attrs(MT_NORMAL_NC, B.PTE_PXN | B.PTE_UXN),
  pgprot_device: attrs(MT_DEVICE_nGnRE, B.PTE_PXN | B.PTE_UXN),
};

export const arm64Prot: ArchProt = {
  pgprot_modify: (oldprot, newprot) => genericPgprotModify(cache, oldprot, newprot),
  // No HAVE_ARCH_SOFT_DIRTY on arm64, so CONFIG_MEM_SOFT_DIRTY cannot be set (mm/Kconfig).
  supportsSoftDirty: () => false,
};
