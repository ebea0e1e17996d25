// What generic mm code needs from an architecture (include/linux/pgtable.h's "the arch provides"):
// the swap encoding, pgprot_t, and the upper levels' helpers. src/arch/<arch>/ implements them; mm
// never imports an arch.

import type { U64 } from '../bits/u64.ts';
import type { KernelConfig } from '../config.ts';

/** What generic mm code (swapops, leafops) needs from an arch. */
export interface ArchSwap {
  pte_present(pte: U64, cfg: KernelConfig): boolean;
  pte_none(pte: U64): boolean;
  /** pte_swp_clear_flags (include/linux/swapops.h:70): clears the arch's swap flag bits. */
  swpFlagMask(cfg: KernelConfig): U64;
  /** The swap-entry uffd-wp bit (0 where the config has none). */
  swpUffdWpBit(cfg: KernelConfig): U64;
  /** pgtable_supports_uffd_wp(): the arch has uffd-wp PTE bits under this config. */
  pgtable_supports_uffd_wp(cfg: KernelConfig): boolean;
  __swp_entry(type: number, offset: U64): U64;
  __swp_type(entry: U64): number;
  __swp_offset(entry: U64): U64;
}

/** What an arch gives the generic mm code about pgprot_t. */
export interface ArchProt {
  /** pgprot_modify(oldprot, newprot): what of the old prot survives an update of vm_page_prot. */
  pgprot_modify(oldprot: U64, newprot: U64, cfg: KernelConfig): U64;
  /** pgtable_supports_soft_dirty() (include/linux/pgtable.h:1568 and the arch's override). */
  supportsSoftDirty(cfg: KernelConfig): boolean;
}

/** The upper levels' Linux helpers of an arch where the level is real (the mm walker folds), and pXd_populate. */
export interface ArchUpper {
  p4d_none(v: U64): boolean;
  p4d_bad(v: U64): boolean;
  p4d_present(v: U64): boolean;
  pgd_none(v: U64): boolean;
  pgd_bad(v: U64): boolean;
  pgd_present(v: U64): boolean;
  /** The table address in a table entry (pXd_pgtable / pXd_page_vaddr's physical address). */
  tableAddr(v: U64, pageShift: number): U64;
  /** pte_advance_pfn(pte, nr) (include/linux/pgtable.h:289; x86 steps an inverted PTE down). */
  pte_advance_pfn(pte: U64, nr: U64, pageShift: number): U64;
  /** CONT_PTES of the granule where set_ptes folds user mappings into contiguous blocks (arm64), else 0. */
  contPtes(pageShift: number): number;
  /** The value set_pte_at stores for `v` (arm64 set_ptes clears PTE_CONT first); the identity elsewhere. */
  set_pte_at(v: U64): U64;
  /** The table entry pXd_populate / pXd_populate_kernel writes for a table at `pa`. */
  populate(pa: U64, kernel: boolean): U64;
}
