// arm64 page-table helpers, Linux v6.19 arch/arm64/include/asm/pgtable.h (line numbers in the comments).

import { isSet, not64, shl64, type U64 } from '../../bits/u64.ts';
import type { KernelConfig, Mode } from '../../config.ts';
import { ARCH_DESCRIPTIONS } from '../../layout/descriptions.generated.ts';
import * as B from './bits.ts';

export function uffdWpBit(cfg: KernelConfig): U64 {
  return cfg.CONFIG_USERFAULTFD ? B.PTE_UFFD_WP : 0n;
}
export function swpUffdWpBit(cfg: KernelConfig): U64 {
  return cfg.CONFIG_USERFAULTFD ? B.PTE_SWP_UFFD_WP : 0n;
}

export interface Arm64Geometry {
  readonly pageShift: number;
  readonly levels: number;
}
/**
 * Granule and CONFIG_PGTABLE_LEVELS of a mode, read from its description (vectors/arch/arm64-<mode>.json):
 * PAGE_SHIFT is the description's pageShift, and arch/arm64/Kconfig:395-404 PGTABLE_LEVELS is its number
 * of translation levels, ARM64_HW_PGTABLE_LEVELS(VA_BITS) = (VA_BITS - 4) / (PAGE_SHIFT - 3) (4k-39: 3,
 * 4k-48: 4, 16k-47: 3, 64k-42: 2, 64k-48: 3; kernel-facts §3.3). The runner rejects a vector whose arch
 * has no such mode before it runs (README "ptvec lint").
 */
export function geometry(mode: Mode): Arm64Geometry {
  const d = ARCH_DESCRIPTIONS[`arm64-${mode}`]!;
  return { pageShift: d.pageShift, levels: d.levels.length };
}

export const pte_valid = (v: U64): boolean => isSet(v, B.PTE_VALID);
export const pte_present_invalid = (v: U64): boolean =>
  (v & (B.PTE_VALID | B.PTE_PRESENT_INVALID)) === B.PTE_PRESENT_INVALID;
export const pte_present = (v: U64): boolean => pte_valid(v) || pte_present_invalid(v); // :189
export const pte_write = (v: U64): boolean => isSet(v, B.PTE_WRITE); // :192
export const pte_rdonly = (v: U64): boolean => isSet(v, B.PTE_RDONLY);
export const pte_user = (v: U64): boolean => isSet(v, B.PTE_USER);
export const pte_user_exec = (v: U64): boolean => !isSet(v, B.PTE_UXN);
export const pte_hw_dirty = (v: U64): boolean => pte_write(v) && !pte_rdonly(v); // :210
export const pte_sw_dirty = (v: U64): boolean => isSet(v, B.PTE_DIRTY); // :211
export const pte_dirty = (v: U64): boolean => pte_sw_dirty(v) || pte_hw_dirty(v); // :212
export const pte_protnone = (v: U64): boolean =>
  pte_present_invalid(v) && !pte_user(v) && !pte_user_exec(v); // :601

/** :297: set WRITE; clear RDONLY only if sw-dirty. */
export function pte_mkwrite_novma(v: U64): U64 {
  v |= B.PTE_WRITE;
  return pte_sw_dirty(v) ? v & not64(B.PTE_RDONLY) : v;
}
/** :305 */
export function pte_mkclean(v: U64): U64 {
  return (v & not64(B.PTE_DIRTY)) | B.PTE_RDONLY;
}
/** :313 */
export function pte_mkdirty(v: U64): U64 {
  v |= B.PTE_DIRTY;
  return pte_write(v) ? v & not64(B.PTE_RDONLY) : v;
}
/** :323: keep hardware dirtiness in PTE_DIRTY, then clear WRITE and set RDONLY. */
export function pte_wrprotect(v: U64): U64 {
  if (pte_hw_dirty(v)) v |= B.PTE_DIRTY;
  return (v & not64(B.PTE_WRITE)) | B.PTE_RDONLY;
}
export function pte_mkinvalid(v: U64): U64 {
  return (v | B.PTE_PRESENT_INVALID) & not64(B.PTE_VALID);
}
/** :390 */
export function pte_mkuffd_wp(v: U64, cfg: KernelConfig): U64 {
  if (!cfg.CONFIG_USERFAULTFD) return v; // asm-generic/pgtable_uffd.h no-op
  return pte_wrprotect(v | uffdWpBit(cfg));
}
/** :1259 */
export function pte_modify(v: U64, prot: U64): U64 {
  const mask =
    B.PTE_USER |
    B.PTE_PXN |
    B.PTE_UXN |
    B.PTE_RDONLY |
    B.PTE_PRESENT_INVALID |
    B.PTE_VALID |
    B.PTE_WRITE |
    B.PTE_GP |
    B.PTE_ATTRINDX_MASK |
    B.PTE_PO_IDX_MASK;
  if (pte_hw_dirty(v)) v |= B.PTE_DIRTY;
  v = (v & not64(mask)) | (prot & mask);
  return pte_sw_dirty(v) ? pte_mkdirty(v) : v;
}

export const pmd_table = (v: U64): boolean => (v & B.PTE_TYPE_MASK) === B.PMD_TYPE_TABLE;
export const pmd_sect = (v: U64): boolean => (v & B.PTE_TYPE_MASK) === B.PMD_TYPE_SECT;

/** pfn_pte without 52-bit PA: __phys_to_pte_val is the identity, so the pfn is not masked (§15 item 10). */
export function pfn_pte(pfn: U64, prot: U64, g: Arm64Geometry): U64 {
  return shl64(pfn, g.pageShift) | prot;
}
export function pte_pfn(v: U64, g: Arm64Geometry): U64 {
  return (v & B.PTE_ADDR_LOW(g.pageShift)) >> BigInt(g.pageShift);
}
/** LEVEL_SHIFT(n) = (PAGE_SHIFT - 3) * (4 - n) + 3 (pgtable-hwdef.h): PMD_SHIFT is n = 2, PUD_SHIFT n = 1. */
export function levelShift(g: Arm64Geometry, n: number): number {
  return (g.pageShift - 3) * (4 - n) + 3;
}
/**
 * pmd_pfn / pud_pfn: ((__p?d_to_phys(x) & P?D_MASK) >> PAGE_SHIFT) (pgtable.h:668-692), with
 * P?D_SIZE = 1 << P?D_SHIFT and P?D_MASK = ~(P?D_SIZE - 1) (pgtable-hwdef.h:55-67).
 */
export function hugePfn(v: U64, g: Arm64Geometry, n: number): U64 {
  const size = 1n << BigInt(levelShift(g, n));
  const mask = B.PTE_ADDR_LOW(g.pageShift) & ~(size - 1n);
  return (v & mask) >> BigInt(g.pageShift);
}

/** __swp_entry and friends (pgtable.h:1542-1554): no masking of type or offset. */
export function __swp_entry(type: number, offset: U64): U64 {
  return shl64(BigInt(type), B.__SWP_TYPE_SHIFT) | shl64(offset, B.__SWP_OFFSET_SHIFT);
}
export function __swp_type(v: U64): number {
  return Number((v >> BigInt(B.__SWP_TYPE_SHIFT)) & B.__SWP_TYPE_MASK);
}
export function __swp_offset(v: U64): U64 {
  return (v >> BigInt(B.__SWP_OFFSET_SHIFT)) & B.__SWP_OFFSET_MASK;
}
