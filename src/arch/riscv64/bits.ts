// riscv64 PTE bits: Linux v6.19 arch/riscv/include/asm/pgtable-bits.h and pgtable-64.h:74-141
// (kernel-facts §4.1, §15 items 2-5). Masks, as the headers define them.

import { bit, genmask } from '../../bits/u64.ts';

export const _PAGE_PRESENT = bit(0);
export const _PAGE_READ = bit(1);
export const _PAGE_WRITE = bit(2);
export const _PAGE_EXEC = bit(3);
export const _PAGE_USER = bit(4);
export const _PAGE_GLOBAL = bit(5);
export const _PAGE_ACCESSED = bit(6);
export const _PAGE_DIRTY = bit(7);
export const _PAGE_SPECIAL = bit(8);
/** _PAGE_PROT_NONE = _PAGE_GLOBAL, meaningful when !present. */
export const _PAGE_PROT_NONE = _PAGE_GLOBAL;
export const _PAGE_LEAF = _PAGE_READ | _PAGE_WRITE | _PAGE_EXEC;
export const _PAGE_PFN_SHIFT = 10;
export const _PAGE_PFN_MASK = genmask(53, 10);
/** Present only with Svrsw60t59b and the matching kernel config (pgtable-bits.h:23-57). */
export const SOFT_DIRTY_BIT = bit(59);
export const UFFD_WP_BIT = bit(60);
export const _PAGE_NOCACHE_SVPBMT = 1n << 61n;
export const _PAGE_IO_SVPBMT = 1n << 62n;
export const _PAGE_MTMASK_SVPBMT = genmask(62, 61);
export const _PAGE_NAPOT = bit(63);
/** Swap-entry flags: _PAGE_SWP_SOFT_DIRTY = _PAGE_EXEC, _PAGE_SWP_UFFD_WP = _PAGE_USER,
 * _PAGE_SWP_EXCLUSIVE = _PAGE_ACCESSED. */
export const SWP_SOFT_DIRTY_BIT = _PAGE_EXEC;
export const SWP_UFFD_WP_BIT = _PAGE_USER;
export const _PAGE_SWP_EXCLUSIVE = _PAGE_ACCESSED;
/** __SWP_TYPE_SHIFT 7, __SWP_TYPE_MASK 0x1f, __SWP_OFFSET_SHIFT 12 (pgtable.h:1144-1173). */
export const __SWP_TYPE_SHIFT = 7;
export const __SWP_TYPE_MASK = 0x1fn;
export const __SWP_OFFSET_SHIFT = 12;
