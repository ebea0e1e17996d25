// hugetlb VMAs in mm/pagewalk.c (v6.19): walk_hugetlb_range (:319) and the arches' huge_pte_offset,
// which hugetlb_walk (include/linux/hugetlb.h) calls.

import { MASK64, type U64 } from '../bits/u64.ts';
import { UnsupportedError } from '../errors.ts';
import { checkHasSvnapot } from './hugetlb_sizes.ts';
import type { MmWalk } from './pagewalk-types.ts';
import type { ChainIndex } from './pgtable.ts';
import { root } from './pagewalk-range.ts';

/** walk_hugetlb_range (:319): one hugetlb_entry per huge page, pte_hole(-1) where no entry exists. */
export function walk_hugetlb_range(
  w: MmWalk,
  start: U64,
  end: U64,
  hugeptePa: HugePteOffset,
): number {
  const vma = w.vma!;
  checkHasSvnapot(vma.hstate?.kind, w.t.h.config);
  const sz = 1n << BigInt(vma.hugetlbShift!);
  const hmask = ~(sz - 1n) & MASK64;
  const ops = w.ops;
  let err = 0;
  let addr = start;
  do {
    w.t.m.work.charge('visits');
    const boundary = (addr & hmask) + sz;
    const next = boundary < end ? boundary : end;
    const pa = hugeptePa(w, addr & hmask, sz);
    if (pa !== undefined) err = ops.hugetlb_entry!(w, pa, hmask, addr, next);
    else if (ops.pte_hole) err = ops.pte_hole(w, addr, next, -1);
    if (err) break;
    addr = next;
  } while (addr !== end);
  return err;
}

/** huge_pte_offset of the arch: the PA of the huge entry, or undefined for NULL. */
export type HugePteOffset = (w: MmWalk, addr: U64, sz: U64) => number | undefined;

/**
 * The level of the entry at `pa`, which huge_pte_offset gave for `addr`: the pud or pmd slot on the
 * way (where a folded pud shares the pmd's entry, the pmd), else a PTE of a contiguous run.
 */
export function hugeEntryLevel(w: MmWalk, pa: number, addr: U64): ChainIndex {
  const t = w.t;
  const pgd = t.offset(0, 0, addr, root(w));
  const pud = t.offset(2, t.offset(1, pgd, addr, root(w)), addr, root(w));
  const pv = t.read(pud);
  const table = t.present(2, pv) && !t.leaf(2, pv) && !t.none(2, pv);
  if (table && t.offset(3, pud, addr, root(w)) === pa) return 3;
  if (pud === pa) return 2;
  if (!table) throw new UnsupportedError('a hugetlb entry pointer below a pud leaf');
  return 4;
}

/**
 * mm/hugetlb.c:7044 huge_pte_offset (x86) and arch/riscv/mm/hugetlbpage.c:88-126: a PUD size is the
 * pud pointer; below a non-present pud NULL; a PMD size the pmd pointer; a napot size (riscv 64K)
 * NULL below a non-present pmd, else pte_offset_huge(pmd, addr & napot_cont_mask(order)).
 */
export const genericHugePteOffset: HugePteOffset = (w, addr, sz) => {
  const t = w.t;
  const kind = w.vma?.hstate?.kind;
  if (kind === 'cont_pte' || kind === 'cont_pmd')
    throw new UnsupportedError(
      'the generic huge_pte_offset on an arm64 contiguous hugetlb VMA (as pagemap_scan calls it) is not modelled',
    );
  const pgd = t.offset(0, 0, addr, root(w));
  if (!t.present(0, t.read(pgd))) return undefined;
  const p4d = t.offset(1, pgd, addr, root(w));
  if (!t.present(1, t.read(p4d))) return undefined;
  const pud = t.offset(2, p4d, addr, root(w));
  if (sz === t.size(2)) return pud;
  if (!t.present(2, t.read(pud))) return undefined;
  const pmd = t.offset(3, pud, addr, root(w));
  if (kind !== 'napot') return pmd;
  const mv = t.read(pmd);
  if (!t.present(3, mv)) return undefined;
  if (t.leaf(3, mv))
    throw new UnsupportedError('pte_offset_huge through a PMD leaf (a napot VMA over a huge PMD)');
  return t.offset(4, pmd, addr & ~(sz - 1n) & MASK64, root(w));
};

/**
 * arch/arm64/mm/hugetlbpage.c:288-322 huge_pte_offset: NULL at a none pud unless sz is PUD_SIZE; a pud
 * leaf or non-present pud is returned for any size; CONT_PMD_SIZE masks addr to its first pmd; NULL
 * at a none pmd unless sz is PMD_SIZE or CONT_PMD_SIZE; a pmd leaf or non-present pmd is returned;
 * below a pmd table, CONT_PTE_SIZE gives pte_offset_huge(pmdp, addr & CONT_PTE_MASK), others NULL.
 */
export const arm64HugePteOffset: HugePteOffset = (w, addr0, sz) => {
  const t = w.t;
  const kind = w.vma?.hstate?.kind;
  let addr = addr0;
  const pgd = t.offset(0, 0, addr, root(w));
  if (!t.present(0, t.read(pgd))) return undefined;
  const p4d = t.offset(1, pgd, addr, root(w));
  if (!t.present(1, t.read(p4d))) return undefined;
  const pud = t.offset(2, p4d, addr, root(w));
  const pv = t.read(pud);
  if (sz !== t.size(2) && t.none(2, pv)) return undefined;
  if (t.leaf(2, pv) || !t.present(2, pv)) return pud;
  if (kind === 'cont_pmd') addr &= ~(sz - 1n) & MASK64;
  const pmd = t.offset(3, pud, addr, root(w));
  const mv = t.read(pmd);
  if (!(sz === t.size(3) || kind === 'cont_pmd') && t.none(3, mv)) return undefined;
  if (t.leaf(3, mv) || !t.present(3, mv)) return pmd;
  if (kind === 'cont_pte') return t.offset(4, pmd, addr & ~(sz - 1n) & MASK64, root(w));
  return undefined;
};
