// x86_64 PTE bits, Linux v6.19 arch/x86/include/asm/pgtable_types.h:10-49 and pgtable_64_types.h.
// test/unit/arch-bits.test.ts checks each against vectors/arch/x86_64-*.json by its `linux` name.

export const _PAGE_BIT_PRESENT = 0;
export const _PAGE_BIT_RW = 1;
export const _PAGE_BIT_USER = 2;
export const _PAGE_BIT_PWT = 3;
export const _PAGE_BIT_PCD = 4;
export const _PAGE_BIT_ACCESSED = 5;
export const _PAGE_BIT_DIRTY = 6;
export const _PAGE_BIT_PSE = 7;
export const _PAGE_BIT_PAT = 7;
export const _PAGE_BIT_GLOBAL = 8;
export const _PAGE_BIT_PROTNONE = _PAGE_BIT_GLOBAL;
export const _PAGE_BIT_SPECIAL = 9;
export const _PAGE_BIT_UFFD_WP = 10;
export const _PAGE_BIT_SOFT_DIRTY = 11;
export const _PAGE_BIT_PAT_LARGE = 12;
// _PAGE_BIT_SOFTW4 (57, pgtable_types.h:24 "available for programmer") is not defined here: no helper
// uses it (fault.ts's pte_flags_need_flush spells its software bits out).
export const _PAGE_BIT_SAVED_DIRTY = 58;
export const _PAGE_BIT_PKEY_BIT0 = 59;
export const _PAGE_BIT_NX = 63;

/** __PHYSICAL_MASK_SHIFT (page_64_types.h:50). */
export const PHYSICAL_MASK_SHIFT = 52;
/** SWP_TYPE_BITS, SWP_OFFSET_FIRST_BIT, SWP_OFFSET_SHIFT (pgtable_64.h:184-240). */
export const SWP_TYPE_BITS = 5;
export const SWP_OFFSET_FIRST_BIT = _PAGE_BIT_PROTNONE + 1;
export const SWP_OFFSET_SHIFT = SWP_OFFSET_FIRST_BIT + SWP_TYPE_BITS;
