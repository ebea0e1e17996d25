// The riscv64 pte-family op table. pmd_*/pud_* helpers are the pte ones on pmd_pte()/pud_pte()
// (pgtable.h, pgtable-64.h:177-196) unless noted.

import { isSet, type U64 } from '../../bits/u64.ts';
import type { KernelConfig } from '../../config.ts';
import { arg, clearBits, pmdOp, pteOp, pudOp, setBits, testBits } from '../../ops/args.ts';
import type { ArchSwap } from '../../mm/arch.ts';
import type { OpImpl, OpTable } from '../../ops/types.ts';
import * as B from './bits.ts';
import * as P from './pgtable.ts';
import { vm_get_page_prot } from './pgprot.ts';

const k = (m: U64) => (): U64 => m;

export const riscvSwap: ArchSwap = {
  pte_present: (v) => P.pte_present(v),
  pte_none: (v) => v === 0n,
  swpFlagMask: (cfg) => B._PAGE_SWP_EXCLUSIVE | P.swpSoftDirtyBit(cfg) | P.swpUffdWpBit(cfg),
  swpUffdWpBit: P.swpUffdWpBit,
  pgtable_supports_uffd_wp: (cfg) => cfg.CONFIG_USERFAULTFD && cfg.Svrsw60t59b,
  __swp_entry: P.__swp_entry,
  __swp_type: P.__swp_type,
  __swp_offset: P.__swp_offset,
};

type Level = 'pte' | 'pmd' | 'pud';
const opOf = (l: Level) => (l === 'pte' ? pteOp : l === 'pmd' ? pmdOp : pudOp);
const common = (l: Level, f: (v: U64, cfg: KernelConfig) => boolean | U64): OpImpl => opOf(l)(f);

function shared(l: Level): OpTable {
  const t: Record<string, (v: U64, cfg: KernelConfig) => boolean | U64> = {
    write: testBits(k(B._PAGE_WRITE)),
    dirty: testBits(k(B._PAGE_DIRTY)),
    young: testBits(k(B._PAGE_ACCESSED)),
    special: testBits(k(B._PAGE_SPECIAL)),
    protnone: P.pte_protnone,
    uffd_wp: testBits(P.uffdWpBit),
    soft_dirty: testBits(P.softDirtyBit),
    wrprotect: P.pte_wrprotect,
    mkdirty: P.pte_mkdirty,
    mkclean: clearBits(k(B._PAGE_DIRTY)),
    mkyoung: setBits(k(B._PAGE_ACCESSED)),
    mkold: clearBits(k(B._PAGE_ACCESSED)),
    mkspecial: setBits(k(B._PAGE_SPECIAL)),
    mkuffd_wp: P.pte_mkuffd_wp,
    clear_uffd_wp: clearBits(P.uffdWpBit),
    mksoft_dirty: setBits(P.softDirtyBit),
    clear_soft_dirty: clearBits(P.softDirtyBit),
  };
  const out: Record<string, OpImpl> = {};
  for (const [name, f] of Object.entries(t)) out[`${l}_${name}`] = common(l, f);
  return out;
}

const pmdLeaf = (v: U64, cfg: KernelConfig): boolean =>
  P.pmd_present(v, cfg) && isSet(v, B._PAGE_LEAF);
const pudPresent = (v: U64): boolean => isSet(v, B._PAGE_PRESENT); // §15 item 6
const pudLeaf = (v: U64): boolean => pudPresent(v) && isSet(v, B._PAGE_LEAF);

export const riscvOps: OpTable = {
  ...shared('pte'),
  ...shared('pmd'),
  ...shared('pud'),
  pte_present: pteOp(P.pte_present),
  pte_none: pteOp((v) => v === 0n),
  pte_napot: pteOp(P.pte_napot),
  pte_user: pteOp(testBits(k(B._PAGE_USER))),
  pte_mkwrite_novma: pteOp(setBits(k(B._PAGE_WRITE))),
  pte_mkwrite: (a) => arg(a, 'pte') | B._PAGE_WRITE,
  pte_swp_uffd_wp: pteOp(testBits(P.swpUffdWpBit)),
  pte_swp_mkuffd_wp: pteOp(setBits(P.swpUffdWpBit)),
  pte_swp_clear_uffd_wp: pteOp(clearBits(P.swpUffdWpBit)),
  pte_swp_soft_dirty: pteOp(testBits(P.swpSoftDirtyBit)),
  pte_swp_mksoft_dirty: pteOp(setBits(P.swpSoftDirtyBit)),
  pte_swp_clear_soft_dirty: pteOp(clearBits(P.swpSoftDirtyBit)),
  pte_swp_exclusive: pteOp(testBits(k(B._PAGE_SWP_EXCLUSIVE))),
  pte_swp_mkexclusive: pteOp(setBits(k(B._PAGE_SWP_EXCLUSIVE))),
  pte_swp_clear_exclusive: pteOp(clearBits(k(B._PAGE_SWP_EXCLUSIVE))),
  pte_modify: (a, ctx) => P.pte_modify(arg(a, 'value'), arg(a, 'prot'), ctx.config),
  pmd_modify: (a, ctx) => P.pte_modify(arg(a, 'value'), arg(a, 'prot'), ctx.config),
  pfn_pte: (a) => P.pfn_pte(arg(a, 'pfn'), arg(a, 'prot')),
  pfn_pmd: (a) => P.pfn_pte(arg(a, 'pfn'), arg(a, 'prot')),
  pfn_pud: (a) => P.pfn_pte(arg(a, 'pfn'), arg(a, 'prot')),
  pte_pfn: (a, ctx) => P.pte_pfn(arg(a, 'value'), ctx.config),
  pmd_pfn: (a) => P.hugePfn(arg(a, 'value'), 21), // PMD_SHIFT
  pud_pfn: (a) => P.hugePfn(arg(a, 'value'), 30), // PUD_SHIFT

  pmd_present: pmdOp(P.pmd_present),
  pmd_none: pmdOp((v) => v === 0n), // :228
  pmd_bad: pmdOp((v, cfg) => !P.pmd_present(v, cfg) || isSet(v, B._PAGE_LEAF)), // :233
  pmd_leaf: pmdOp(pmdLeaf), // :239
  pmd_trans_huge: pmdOp((v, cfg) => cfg.CONFIG_TRANSPARENT_HUGEPAGE && pmdLeaf(v, cfg)), // :978
  pmd_mkwrite_novma: pmdOp(setBits(k(B._PAGE_WRITE))),
  pmd_mkhuge: pmdOp((v) => v),
  pmd_mkinvalid: pmdOp((v) => v & ~(B._PAGE_PRESENT | B._PAGE_PROT_NONE)),

  pud_present: pudOp(pudPresent),
  pud_none: pudOp((v) => v === 0n),
  pud_bad: pudOp((v) => !pudPresent(v) || isSet(v, B._PAGE_LEAF)),
  pud_leaf: pudOp(pudLeaf),
  pud_trans_huge: pudOp((v, cfg) => cfg.CONFIG_TRANSPARENT_HUGEPAGE && pudLeaf(v)),
  pud_mkwrite: pudOp(setBits(k(B._PAGE_WRITE))),
  pud_mkhuge: pudOp((v) => v),
  pud_mkinvalid: pudOp((v) => v & ~(B._PAGE_PRESENT | B._PAGE_PROT_NONE)),

  vm_get_page_prot: (a) => vm_get_page_prot(arg(a, 'vmFlags')),
};
