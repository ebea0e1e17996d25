// x86_64 page-table helpers, Linux v6.19 arch/x86/include/asm/pgtable.h (line numbers in the comments),
// pgtable_64.h (swap) and arch/x86/mm/pgtable.c (pte_mkwrite). The config decides which software
// bits exist: _PAGE_SOFT_DIRTY needs CONFIG_MEM_SOFT_DIRTY, _PAGE_UFFD_WP needs
// CONFIG_HAVE_ARCH_USERFAULTFD_WP (= X86_64 && USERFAULTFD, arch/x86/Kconfig:212).

import { bit, genmask, isSet, not64, shl64, type U64 } from '../../bits/u64.ts';
import type { KernelConfig } from '../../config.ts';
import { VectorFormatError } from '../../errors.ts';
import type { VmFlags } from '../../mm/vm-flags.ts';
import * as B from './bits.ts';

export const _PAGE_PRESENT = bit(B._PAGE_BIT_PRESENT);
export const _PAGE_RW = bit(B._PAGE_BIT_RW);
export const _PAGE_USER = bit(B._PAGE_BIT_USER);
export const _PAGE_PWT = bit(B._PAGE_BIT_PWT);
export const _PAGE_PCD = bit(B._PAGE_BIT_PCD);
export const _PAGE_ACCESSED = bit(B._PAGE_BIT_ACCESSED);
export const _PAGE_DIRTY = bit(B._PAGE_BIT_DIRTY);
export const _PAGE_PSE = bit(B._PAGE_BIT_PSE);
export const _PAGE_PAT = bit(B._PAGE_BIT_PAT);
export const _PAGE_GLOBAL = bit(B._PAGE_BIT_GLOBAL);
export const _PAGE_PROTNONE = bit(B._PAGE_BIT_PROTNONE);
export const _PAGE_SPECIAL = bit(B._PAGE_BIT_SPECIAL);
export const _PAGE_PAT_LARGE = bit(B._PAGE_BIT_PAT_LARGE);
export const _PAGE_SAVED_DIRTY = bit(B._PAGE_BIT_SAVED_DIRTY);
export const _PAGE_NX = bit(B._PAGE_BIT_NX);
/** pgtable_types.h:86: _PAGE_KNL_ERRATUM_MASK on 64-bit. */
export const _PAGE_KNL_ERRATUM_MASK = _PAGE_DIRTY | _PAGE_ACCESSED;
/** pgtable_types.h:139. */
export const _PAGE_DIRTY_BITS = _PAGE_DIRTY | _PAGE_SAVED_DIRTY;
/** pgtable_types.h:214-221: _KERNPG_TABLE = P|RW|A|D (no _PAGE_ENC: SME off). */
export const _KERNPG_TABLE = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY;
/** PTE_PFN_MASK = PAGE_MASK & __PHYSICAL_MASK: bits 12..51 (pgtable_types.h:285). */
export const PTE_PFN_MASK = genmask(B.PHYSICAL_MASK_SHIFT - 1, 12);
export const PHYSICAL_PMD_PAGE_MASK = genmask(B.PHYSICAL_MASK_SHIFT - 1, 21);
export const PHYSICAL_PUD_PAGE_MASK = genmask(B.PHYSICAL_MASK_SHIFT - 1, 30);

export function uffdWpBit(cfg: KernelConfig): U64 {
  return cfg.CONFIG_USERFAULTFD ? bit(B._PAGE_BIT_UFFD_WP) : 0n;
}
export function softDirtyBit(cfg: KernelConfig): U64 {
  return cfg.CONFIG_MEM_SOFT_DIRTY ? bit(B._PAGE_BIT_SOFT_DIRTY) : 0n;
}
/** Swap-entry flags (pgtable_types.h:108,115; pgtable_64_types.h:196). */
export function swpSoftDirtyBit(cfg: KernelConfig): U64 {
  return cfg.CONFIG_MEM_SOFT_DIRTY ? _PAGE_RW : 0n;
}
/**
 * The 2021 RFC's UFFD_WP_SWP_PTE_SPECIAL (seed 003, arch/x86/include/asm/pgtable.h of the patch):
 * __pte(_PAGE_SWP_UFFD_WP). Only the seed-2021-uffd-wp-special variant has it; v6.19 has a PTE marker.
 */
export function uffdWpSwpPteSpecial(cfg: KernelConfig): U64 {
  if (cfg.variant !== 'seed-2021-uffd-wp-special')
    throw new VectorFormatError(
      "UFFD_WP_SWP_PTE_SPECIAL is the 2021 RFC's (config variant seed-2021-uffd-wp-special); v6.19 has PTE markers",
      '/op',
    );
  return swpUffdWpBit(cfg);
}

export function swpUffdWpBit(cfg: KernelConfig): U64 {
  return cfg.CONFIG_USERFAULTFD ? _PAGE_USER : 0n;
}
export const _PAGE_SWP_EXCLUSIVE = _PAGE_PWT;

/** _COMMON_PAGE_CHG_MASK (pgtable_types.h:151-156), without _PAGE_CC (no memory encryption). */
export function commonPageChgMask(cfg: KernelConfig): U64 {
  return (
    PTE_PFN_MASK |
    _PAGE_PCD |
    _PAGE_PWT |
    _PAGE_SPECIAL |
    _PAGE_ACCESSED |
    _PAGE_DIRTY_BITS |
    softDirtyBit(cfg) |
    uffdWpBit(cfg)
  );
}
export function pageChgMask(cfg: KernelConfig): U64 {
  return commonPageChgMask(cfg) | _PAGE_PAT;
}
export function hpageChgMask(cfg: KernelConfig): U64 {
  return commonPageChgMask(cfg) | _PAGE_PSE | _PAGE_PAT_LARGE;
}

// --- saved dirty (pgtable.h:361-404) ---

/** mksaveddirty_shift: if RW=0, move D to SavedDirty. */
export function mksaveddirty(v: U64): U64 {
  if (isSet(v, _PAGE_RW)) return v;
  const d = isSet(v, _PAGE_DIRTY) ? _PAGE_SAVED_DIRTY : 0n;
  return (v | d) & not64(_PAGE_DIRTY);
}
/** clear_saveddirty_shift: if RW=1, move SavedDirty to D. */
export function clearSaveddirty(v: U64): U64 {
  if (!isSet(v, _PAGE_RW)) return v;
  const d = isSet(v, _PAGE_SAVED_DIRTY) ? _PAGE_DIRTY : 0n;
  return (v | d) & not64(_PAGE_SAVED_DIRTY);
}

// --- L1TF inversion (pgtable-invert.h:16-25): every non-zero value with P=0 ---

export function pteNeedsInvert(v: U64): boolean {
  return v !== 0n && !isSet(v, _PAGE_PRESENT);
}
export function protnoneMask(v: U64): U64 {
  return pteNeedsInvert(v) ? not64(0n) : 0n;
}
/** flip_protnone_guard: invert the PFN field when the value crosses between needs-invert and not. */
export function flipProtnoneGuard(oldval: U64, val: U64, mask: U64): U64 {
  if (pteNeedsInvert(oldval) !== pteNeedsInvert(val))
    return (val & not64(mask)) | (not64(val) & mask);
  return val;
}

// --- pte (pgtable.h) ---

export function pte_present(v: U64): boolean {
  return isSet(v, _PAGE_PRESENT | _PAGE_PROTNONE); // :966
}
export function pte_none(v: U64): boolean {
  return (v & not64(_PAGE_KNL_ERRATUM_MASK)) === 0n; // :947
}
export function pte_protnone(v: U64): boolean {
  return (v & (_PAGE_PROTNONE | _PAGE_PRESENT)) === _PAGE_PROTNONE; // :1000
}
export function pte_dirty(v: U64): boolean {
  return isSet(v, _PAGE_DIRTY_BITS); // :155
}
export function pte_shstk(v: U64, cfg: KernelConfig): boolean {
  return cfg.X86_FEATURE_SHSTK && (v & (_PAGE_RW | _PAGE_DIRTY)) === _PAGE_DIRTY; // :160
}
export function pte_write(v: U64, cfg: KernelConfig): boolean {
  return isSet(v, _PAGE_RW) || pte_shstk(v, cfg); // :212
}
export function pte_wrprotect(v: U64): U64 {
  return mksaveddirty(v & not64(_PAGE_RW)); // :408
}
export function pte_mkdirty(v: U64, cfg: KernelConfig): U64 {
  return mksaveddirty(v | _PAGE_DIRTY | softDirtyBit(cfg)); // :452
}
export function pte_mkclean(v: U64): U64 {
  return v & not64(_PAGE_DIRTY_BITS); // :437
}
/** arch/x86/mm/pgtable.c:802. VM_SHADOW_STACK is VM_NONE without CONFIG_X86_USER_SHADOW_STACK. */
export function pte_mkwrite(v: U64, flags: VmFlags, cfg: KernelConfig): U64 {
  if (cfg.CONFIG_X86_USER_SHADOW_STACK && flags.has('VM_SHADOW_STACK')) return pte_mkwrite_shstk(v);
  return clearSaveddirty(v | _PAGE_RW);
}
/** pte_mkwrite_shstk: clear RW, set DIRTY (a Write=0,Dirty=1 shadow-stack PTE). */
export function pte_mkwrite_shstk(v: U64): U64 {
  return (v & not64(_PAGE_RW)) | _PAGE_DIRTY;
}
export function pte_mkuffd_wp(v: U64, cfg: KernelConfig): U64 {
  if (!cfg.CONFIG_USERFAULTFD) return v; // asm-generic/pgtable_uffd.h no-op
  return pte_wrprotect(v | uffdWpBit(cfg)); // :421-434
}

// --- pmd / pud (pgtable.h:298-304, 984-1075) ---

export function pmdPfnMask(v: U64): U64 {
  return isSet(v, _PAGE_PSE) ? PHYSICAL_PMD_PAGE_MASK : PTE_PFN_MASK;
}
const PMD_LEAF_FLAGS = not64(PHYSICAL_PMD_PAGE_MASK);
const TABLE_FLAGS = not64(PTE_PFN_MASK);
export function pmd_flags(v: U64): U64 {
  return v & (isSet(v, _PAGE_PSE) ? PMD_LEAF_FLAGS : TABLE_FLAGS);
}
export function pudPfnMask(v: U64): U64 {
  return isSet(v, _PAGE_PSE) ? PHYSICAL_PUD_PAGE_MASK : PTE_PFN_MASK;
}
export function pud_flags(v: U64): U64 {
  return v & not64(pudPfnMask(v));
}

/** pfn_pte / pfn_pmd / pfn_pud: pfn shifted, inverted if the prot needs it, masked, OR prot. */
export function pfnEntry(pfn: U64, prot: U64, mask: U64): U64 {
  const phys = (shl64(pfn, 12) ^ protnoneMask(prot)) & mask;
  return phys | prot;
}
export function entryPfn(v: U64, mask: U64): U64 {
  return ((v ^ protnoneMask(v)) & mask) >> 12n;
}

export function pmd_shstk(v: U64, cfg: KernelConfig): boolean {
  return (
    cfg.X86_FEATURE_SHSTK &&
    (pmd_flags(v) & (_PAGE_RW | _PAGE_DIRTY | _PAGE_PSE)) === (_PAGE_DIRTY | _PAGE_PSE)
  );
}

/** swap entry: TYPE in 63..59, ~OFFSET in 58..9 (pgtable_64.h:213-240). */
export function __swp_entry(type: number, offset: U64): U64 {
  const off = shl64(not64(offset), B.SWP_OFFSET_SHIFT) >> BigInt(B.SWP_TYPE_BITS);
  return off | shl64(BigInt(type), 64 - B.SWP_TYPE_BITS);
}
export function __swp_type(v: U64): number {
  return Number(v >> BigInt(64 - B.SWP_TYPE_BITS));
}
export function __swp_offset(v: U64): U64 {
  return shl64(not64(v), B.SWP_TYPE_BITS) >> BigInt(B.SWP_OFFSET_SHIFT);
}
