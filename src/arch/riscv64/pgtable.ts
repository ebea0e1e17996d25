// riscv64 page-table helpers, Linux v6.19 arch/riscv/include/asm/pgtable.h (line numbers in the comments).

import { isSet, not64, shl64, type U64 } from '../../bits/u64.ts';
import type { KernelConfig } from '../../config.ts';
import * as B from './bits.ts';

/** _PAGE_SOFT_DIRTY: CONFIG_MEM_SOFT_DIRTY and Svrsw60t59b (§15 item 2). */
export function softDirtyBit(cfg: KernelConfig): U64 {
  return cfg.CONFIG_MEM_SOFT_DIRTY && cfg.Svrsw60t59b ? B.SOFT_DIRTY_BIT : 0n;
}
export function swpSoftDirtyBit(cfg: KernelConfig): U64 {
  return cfg.CONFIG_MEM_SOFT_DIRTY && cfg.Svrsw60t59b ? B.SWP_SOFT_DIRTY_BIT : 0n;
}
/** _PAGE_UFFD_WP: CONFIG_HAVE_ARCH_USERFAULTFD_WP (needs USERFAULTFD) and Svrsw60t59b (§15 item 3). */
export function uffdWpBit(cfg: KernelConfig): U64 {
  return cfg.CONFIG_USERFAULTFD && cfg.Svrsw60t59b ? B.UFFD_WP_BIT : 0n;
}
export function swpUffdWpBit(cfg: KernelConfig): U64 {
  return cfg.CONFIG_USERFAULTFD && cfg.Svrsw60t59b ? B.SWP_UFFD_WP_BIT : 0n;
}
/** _PAGE_MTMASK is 0 without Svpbmt (errata_list.h:62-72, §15 item 5). */
export function mtMask(cfg: KernelConfig): U64 {
  return cfg.Svpbmt ? B._PAGE_MTMASK_SVPBMT : 0n;
}
/** _PAGE_CHG_MASK = ~(P|R|W|X|U|G|_PAGE_MTMASK) (pgtable-64.h:172). */
export function pageChgMask(cfg: KernelConfig): U64 {
  return not64(
    B._PAGE_PRESENT |
      B._PAGE_READ |
      B._PAGE_WRITE |
      B._PAGE_EXEC |
      B._PAGE_USER |
      B._PAGE_GLOBAL |
      mtMask(cfg),
  );
}

export const pte_present = (v: U64): boolean => isSet(v, B._PAGE_PRESENT | B._PAGE_PROT_NONE); // :351
export const pte_protnone = (v: U64): boolean =>
  (v & (B._PAGE_PRESENT | B._PAGE_PROT_NONE)) === B._PAGE_PROT_NONE; // :536
export const pte_napot = (v: U64, cfg: KernelConfig): boolean =>
  cfg.Svnapot && isSet(v, B._PAGE_NAPOT);

export function pte_mkdirty(v: U64, cfg: KernelConfig): U64 {
  return v | B._PAGE_DIRTY | softDirtyBit(cfg); // :460
}
export function pte_wrprotect(v: U64): U64 {
  return v & not64(B._PAGE_WRITE); // :411
}
/** :425: pte_wrprotect(pte | _PAGE_UFFD_WP), write-protecting even where _PAGE_UFFD_WP is 0. */
export function pte_mkuffd_wp(v: U64, cfg: KernelConfig): U64 {
  if (!cfg.CONFIG_USERFAULTFD) return v; // asm-generic/pgtable_uffd.h no-op
  return pte_wrprotect(v | uffdWpBit(cfg));
}
/** :548 */
export function pte_modify(v: U64, prot: U64, cfg: KernelConfig): U64 {
  return (v & pageChgMask(cfg)) | prot;
}
/** pfn_pte: (pfn << _PAGE_PFN_SHIFT) | prot, no masking (§15 item 10). */
export function pfn_pte(pfn: U64, prot: U64): U64 {
  return shl64(pfn, B._PAGE_PFN_SHIFT) | prot;
}
/** :321: with Svnapot, a NAPOT pte's pfn has its lowest set bit cleared. */
export function pte_pfn(v: U64, cfg: KernelConfig): U64 {
  const res = (v & B._PAGE_PFN_MASK) >> BigInt(B._PAGE_PFN_SHIFT);
  return pte_napot(v, cfg) ? res & (res - 1n) : res;
}
/** pmd_pfn / pud_pfn: ((pfn << PAGE_SHIFT) & P?D_MASK) >> PAGE_SHIFT, without the NAPOT rule. */
export function hugePfn(v: U64, shift: number): U64 {
  const pfn = (v & B._PAGE_PFN_MASK) >> BigInt(B._PAGE_PFN_SHIFT);
  return pfn & ~((1n << BigInt(shift - 12)) - 1n);
}
/** pmd_present (:211): THP form includes _PAGE_LEAF. */
export function pmd_present(v: U64, cfg: KernelConfig): boolean {
  const m =
    B._PAGE_PRESENT | B._PAGE_PROT_NONE | (cfg.CONFIG_TRANSPARENT_HUGEPAGE ? B._PAGE_LEAF : 0n);
  return isSet(v, m);
}

export function __swp_entry(type: number, offset: U64): U64 {
  return (
    shl64(BigInt(type) & B.__SWP_TYPE_MASK, B.__SWP_TYPE_SHIFT) |
    shl64(offset, B.__SWP_OFFSET_SHIFT)
  );
}
export function __swp_type(v: U64): number {
  return Number((v >> BigInt(B.__SWP_TYPE_SHIFT)) & B.__SWP_TYPE_MASK);
}
export function __swp_offset(v: U64): U64 {
  return v >> BigInt(B.__SWP_OFFSET_SHIFT);
}
