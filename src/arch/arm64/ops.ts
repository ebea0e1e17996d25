// The arm64 pte-family op table. pmd_*/pud_* helpers are the pte ones on pmd_pte()/pud_pte()
// (pgtable.h:621-645) unless noted.

import { isSet, type U64 } from '../../bits/u64.ts';
import type { KernelConfig } from '../../config.ts';
import { arg, clearBits, pmdOp, pteOp, pudOp, setBits, testBits } from '../../ops/args.ts';
import type { ArchSwap } from '../../mm/arch.ts';
import type { OpImpl, OpTable } from '../../ops/types.ts';
import * as B from './bits.ts';
import * as P from './pgtable.ts';
import { vm_get_page_prot } from './pgprot.ts';

const k = (m: U64) => (): U64 => m;
const noSoftDirty = (): U64 => 0n; // arm64 has no HAVE_ARCH_SOFT_DIRTY: include/linux/pgtable.h fallbacks

export const arm64Swap: ArchSwap = {
  pte_present: (v) => P.pte_present(v),
  pte_none: (v) => v === 0n,
  swpFlagMask: (cfg) => B.PTE_SWP_EXCLUSIVE | P.swpUffdWpBit(cfg),
  swpUffdWpBit: P.swpUffdWpBit,
  pgtable_supports_uffd_wp: (cfg) => cfg.CONFIG_USERFAULTFD,
  __swp_entry: P.__swp_entry,
  __swp_type: P.__swp_type,
  __swp_offset: P.__swp_offset,
};

/** A helper whose answer depends on the granule and number of levels. */
const byMode =
  (key: 'pud', f: (v: U64, g: P.Arm64Geometry, cfg: KernelConfig) => boolean | U64): OpImpl =>
  (a, ctx) =>
    f(arg(a, key), P.geometry(ctx.mode), ctx.config);

/**
 * pud_sect / pud_table: constant false / true with 64K pages or CONFIG_PGTABLE_LEVELS < 3
 * (pgtable.h:843-916); with 2 levels pud_none/pud_bad/pud_present are pgtable-nopmd.h's 0/0/1.
 */
const pudReal = (g: P.Arm64Geometry): boolean => g.pageShift !== 16 && g.levels >= 3;
const pud_table = (v: U64, g: P.Arm64Geometry): boolean => !pudReal(g) || P.pmd_table(v);
const pud_present = (v: U64, g: P.Arm64Geometry): boolean => g.levels === 2 || P.pte_present(v);

const uffd = (cfg: KernelConfig) => P.uffdWpBit(cfg);
const pteOrPmd = (f: (v: U64, cfg: KernelConfig) => boolean | U64) => ({
  pte: pteOp(f),
  pmd: pmdOp(f),
});

const both = {
  write: pteOrPmd(P.pte_write),
  dirty: pteOrPmd(P.pte_dirty),
  young: pteOrPmd(testBits(k(B.PTE_AF))),
  special: pteOrPmd(testBits(k(B.PTE_SPECIAL))),
  protnone: pteOrPmd(P.pte_protnone),
  uffd_wp: pteOrPmd(testBits(uffd)),
  soft_dirty: pteOrPmd(() => false),
  mkwrite_novma: pteOrPmd(P.pte_mkwrite_novma),
  wrprotect: pteOrPmd(P.pte_wrprotect),
  mkdirty: pteOrPmd(P.pte_mkdirty),
  mkclean: pteOrPmd(P.pte_mkclean),
  mkyoung: pteOrPmd(setBits(k(B.PTE_AF))),
  mkold: pteOrPmd(clearBits(k(B.PTE_AF))),
  mkspecial: pteOrPmd(setBits(k(B.PTE_SPECIAL))),
  mkinvalid: pteOrPmd(P.pte_mkinvalid),
  mkuffd_wp: pteOrPmd(P.pte_mkuffd_wp),
  clear_uffd_wp: pteOrPmd(clearBits(uffd)),
  mksoft_dirty: pteOrPmd(setBits(noSoftDirty)),
  clear_soft_dirty: pteOrPmd(clearBits(noSoftDirty)),
};
const pick = (which: 'pte' | 'pmd'): OpTable =>
  Object.fromEntries(Object.entries(both).map(([name, ops]) => [`${which}_${name}`, ops[which]]));

const pmdPresent = (v: U64) => P.pte_present(v);

export const arm64Ops: OpTable = {
  ...pick('pte'),
  ...pick('pmd'),
  pte_present: pteOp(P.pte_present),
  pte_none: pteOp((v) => v === 0n),
  pte_valid: pteOp(P.pte_valid),
  pte_present_invalid: pteOp(P.pte_present_invalid),
  pte_hw_dirty: pteOp(P.pte_hw_dirty),
  pte_sw_dirty: pteOp(P.pte_sw_dirty),
  pte_rdonly: pteOp(P.pte_rdonly),
  pte_user: pteOp(P.pte_user),
  pte_user_exec: pteOp(P.pte_user_exec),
  pte_cont: pteOp(testBits(k(B.PTE_CONT))),
  pte_mkcont: pteOp(setBits(k(B.PTE_CONT))),
  pte_mknoncont: pteOp(clearBits(k(B.PTE_CONT))),
  pte_swp_uffd_wp: pteOp(testBits(P.swpUffdWpBit)),
  pte_swp_mkuffd_wp: pteOp(setBits(P.swpUffdWpBit)),
  pte_swp_clear_uffd_wp: pteOp(clearBits(P.swpUffdWpBit)),
  pte_swp_exclusive: pteOp(testBits(k(B.PTE_SWP_EXCLUSIVE))),
  pte_swp_mkexclusive: pteOp(setBits(k(B.PTE_SWP_EXCLUSIVE))),
  pte_swp_clear_exclusive: pteOp(clearBits(k(B.PTE_SWP_EXCLUSIVE))),
  pte_swp_soft_dirty: pteOp(() => false),
  pte_swp_mksoft_dirty: pteOp(setBits(noSoftDirty)),
  pte_swp_clear_soft_dirty: pteOp(clearBits(noSoftDirty)),
  pte_mkwrite: (a) => P.pte_mkwrite_novma(arg(a, 'pte')),
  pte_mkwrite_novma: pteOp(P.pte_mkwrite_novma),
  pte_modify: (a) => P.pte_modify(arg(a, 'value'), arg(a, 'prot')),
  pmd_modify: (a) => P.pte_modify(arg(a, 'value'), arg(a, 'prot')),
  pfn_pte: (a, ctx) => P.pfn_pte(arg(a, 'pfn'), arg(a, 'prot'), P.geometry(ctx.mode)),
  pfn_pmd: (a, ctx) => P.pfn_pte(arg(a, 'pfn'), arg(a, 'prot'), P.geometry(ctx.mode)),
  pfn_pud: (a, ctx) => P.pfn_pte(arg(a, 'pfn'), arg(a, 'prot'), P.geometry(ctx.mode)),
  pte_pfn: (a, ctx) => P.pte_pfn(arg(a, 'value'), P.geometry(ctx.mode)),
  pmd_pfn: (a, ctx) => P.hugePfn(arg(a, 'value'), P.geometry(ctx.mode), 2),
  pud_pfn: (a, ctx) => P.hugePfn(arg(a, 'value'), P.geometry(ctx.mode), 1),

  pmd_present: pmdOp(pmdPresent),
  pmd_none: pmdOp((v) => v === 0n), // :816
  pmd_table: pmdOp(P.pmd_table),
  pmd_sect: pmdOp(P.pmd_sect),
  pmd_bad: pmdOp((v) => !P.pmd_table(v)), // :823
  pmd_leaf: pmdOp((v) => pmdPresent(v) && !P.pmd_table(v)), // :822
  pmd_trans_huge: pmdOp(
    (v, cfg) => cfg.CONFIG_TRANSPARENT_HUGEPAGE && pmdPresent(v) && !isSet(v, B.PTE_TABLE_BIT),
  ), // :829
  pmd_mkhuge: pmdOp((v) => v & ~B.PTE_TABLE_BIT),

  pud_none: byMode('pud', (v, g) => g.levels !== 2 && v === 0n),
  pud_present: byMode('pud', pud_present),
  pud_sect: byMode('pud', (v, g) => pudReal(g) && P.pmd_sect(v)),
  pud_table: byMode('pud', pud_table),
  // pgtable.h: pud_bad tests PUD_TYPE_TABLE itself, not pud_table() (true for every 64K-page PUD
  // that is not a table); with 2 levels it is pgtable-nopmd.h's 0.
  pud_bad: byMode('pud', (v, g) => g.levels !== 2 && !P.pmd_table(v)),
  pud_leaf: byMode('pud', (v, g) => g.levels !== 2 && pud_present(v, g) && !pud_table(v, g)),
  pud_write: pudOp(P.pte_write),
  pud_dirty: pudOp(P.pte_dirty),
  pud_young: pudOp(testBits(k(B.PTE_AF))),
  pud_mkyoung: pudOp(setBits(k(B.PTE_AF))),
  // No HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD on arm64: include/linux/pgtable.h's pud_trans_huge returns 0.
  pud_trans_huge: pudOp(() => false),
  pud_mkhuge: pudOp((v) => v & ~B.PTE_TABLE_BIT),

  vm_get_page_prot: (a, ctx) => vm_get_page_prot(arg(a, 'vmFlags'), ctx.config),
};
