// arm64 descriptor bits: Linux v6.19 arch/arm64/include/asm/pgtable-hwdef.h:108-213 and
// pgtable-prot.h:16-30 (kernel-facts §3.1). Masks, as the headers define them.

import { bit, genmask } from '../../bits/u64.ts';

export const PTE_VALID = bit(0);
export const PTE_TABLE_BIT = bit(1);
export const PTE_TYPE_MASK = genmask(1, 0);
export const PMD_TYPE_TABLE = 3n;
export const PMD_TYPE_SECT = 1n;
export const PTE_ATTRINDX_MASK = genmask(4, 2);
export const PTE_USER = bit(6);
export const PTE_RDONLY = bit(7);
export const PTE_SHARED = genmask(9, 8);
export const PTE_AF = bit(10);
export const PTE_NG = bit(11);
/** pgtable-prot.h:26: PTE_PRESENT_INVALID = PTE_NG, meaningful only when PTE_VALID is clear. */
export const PTE_PRESENT_INVALID = PTE_NG;
export const PTE_GP = bit(50);
export const PTE_DBM = bit(51);
/** pgtable-prot.h:16: PTE_WRITE = PTE_DBM. */
export const PTE_WRITE = PTE_DBM;
export const PTE_CONT = bit(52);
export const PTE_PXN = bit(53);
export const PTE_UXN = bit(54);
export const PTE_DIRTY = bit(55);
export const PTE_SPECIAL = bit(56);
/** pgtable-prot.h:29: present only with CONFIG_HAVE_ARCH_USERFAULTFD_WP. */
export const PTE_UFFD_WP = bit(58);
export const PTE_PO_IDX_MASK = genmask(62, 60);
export const PTE_SWP_EXCLUSIVE = bit(2);
export const PTE_SWP_UFFD_WP = bit(3);
/** PTE_ADDR_LOW = ((1 << (50 - PAGE_SHIFT)) - 1) << PAGE_SHIFT (hwdef:179). */
export function PTE_ADDR_LOW(pageShift: number): bigint {
  return genmask(49, pageShift);
}
/** Swap entry: type in 10..6, offset in 61..12 (pgtable.h:1533-1565). */
export const __SWP_TYPE_SHIFT = 6;
export const __SWP_TYPE_MASK = 0x1fn;
export const __SWP_OFFSET_SHIFT = 12;
export const __SWP_OFFSET_MASK = genmask(49, 0);
