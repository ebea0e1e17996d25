// hugetlb VMAs in mm/pagewalk.c (v6.19): walk_hugetlb_range (:319) and the arches' huge_pte_offset,
// which hugetlb_walk (include/linux/hugetlb.h) calls.

import { MASK64, type U64 } from '../bits/u64.ts';
import type { MmWalk } from './pagewalk-types.ts';
import { root } from './pagewalk-range.ts';

/** walk_hugetlb_range (:319): one hugetlb_entry per huge page, pte_hole(-1) where no entry exists. */
export function walk_hugetlb_range(
  w: MmWalk,
  start: U64,
  end: U64,
  hugeptePa: HugePteOffset,
): number {
  const vma = w.vma!;
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

/** mm/hugetlb.c huge_pte_offset (x86) and arch/riscv/mm/hugetlbpage.c for PMD/PUD sizes. */
export const genericHugePteOffset: HugePteOffset = (w, addr, sz) => {
  const t = w.t;
  const pgd = t.offset(0, 0, addr, root(w));
  if (!t.present(0, t.read(pgd))) return undefined;
  const p4d = t.offset(1, pgd, addr, root(w));
  if (!t.present(1, t.read(p4d))) return undefined;
  const pud = t.offset(2, p4d, addr, root(w));
  if (sz === t.size(2)) return pud;
  if (!t.present(2, t.read(pud))) return undefined;
  return t.offset(3, pud, addr, root(w));
};

/** arch/arm64/mm/hugetlbpage.c huge_pte_offset, for PMD and PUD sizes. */
export const arm64HugePteOffset: HugePteOffset = (w, addr, sz) => {
  const t = w.t;
  const pgd = t.offset(0, 0, addr, root(w));
  if (!t.present(0, t.read(pgd))) return undefined;
  const p4d = t.offset(1, pgd, addr, root(w));
  if (!t.present(1, t.read(p4d))) return undefined;
  const pud = t.offset(2, p4d, addr, root(w));
  const pv = t.read(pud);
  if (sz !== t.size(2) && t.none(2, pv)) return undefined;
  if (t.leaf(2, pv) || !t.present(2, pv)) return pud;
  const pmd = t.offset(3, pud, addr, root(w));
  const mv = t.read(pmd);
  if (sz !== t.size(3) && t.none(3, mv)) return undefined;
  if (t.leaf(3, mv) || !t.present(3, mv)) return pmd;
  return undefined;
};
