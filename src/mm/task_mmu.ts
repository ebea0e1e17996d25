// fs/proc/task_mmu.c (Linux v6.19) pagemap_read (:2205): what /proc/pid/pagemap shows of each page,
// pte_to_pagemap_entry (:1933), pagemap_pmd_range_thp (:2000), pagemap_hugetlb_range (:2122) and
// pagemap_pte_hole (:1893). Model choices: the mapcount of PM_MMAP_EXCLUSIVE counts the present entries
// mapping the page in every mm, a huge PMD counting for every page of its folio (CONFIG_PAGE_MAPCOUNT's
// folio_precise_page_mapcount: _mapcount + entire_mapcount, fs/proc/internal.h:183-194), and the huge
// zero folio none (it is never rmapped); THP migration is supported on all three arches
// (ARCH_ENABLE_THP_MIGRATION), a non-present huge PMD is a migration entry read with the PTE swap helpers
// (pmd_swp_* are the pte_swp_* of pmd_pte() on x86, arm64 and riscv).

import type { U64 } from '../bits/u64.ts';
import { eachPte } from './change_protection.ts';
import { UnsupportedError } from '../errors.ts';
import { hstate_vma, hugetlb_walk } from './hugetlb.ts';
import type { Mm, Vma } from './state.ts';
import { pte_swp_uffd_wp_any } from './userfaultfd_k.ts';
import { findPte, softleaf_to_pfn, vm_normal_page, type FaultEnv } from './vm-fault.ts';

const PM_SOFT_DIRTY = 1n << 55n;
const PM_MMAP_EXCLUSIVE = 1n << 56n;
const PM_UFFD_WP = 1n << 57n;
const PM_GUARD_REGION = 1n << 58n;
const PM_FILE = 1n << 61n;
const PM_SWAP = 1n << 62n;
const PM_PRESENT = 1n << 63n;
const PM_PFRAME_MASK = (1n << 55n) - 1n;
/** include/linux/swap.h:49. */
const MAX_SWAPFILES_SHIFT = 5n;

const test = (f: FaultEnv, name: string, a: Record<string, U64>): boolean =>
  f.helper(name, a) === true;

/**
 * !folio_test_anon(page_folio(pfn)): a page of a setup `folios` entry takes its first page's state.
 * Model choice: the PAGE_IS_FILE/PM_FILE tests of a large folio's tail page read its head.
 */
export function folio_not_anon(f: FaultEnv, pfn: U64): boolean {
  const big = f.st.folios.find((x) => x.pfn <= pfn && pfn < x.pfn + (1n << BigInt(x.order)));
  return !(f.st.pages.get(big ? big.pfn : pfn)?.anon ?? false);
}

/**
 * How many present entries map each page, in every mm: PTEs by their page, a huge PMD for each page of
 * its folio (entire_mapcount; not the huge zero folio), hugetlb entries by their huge folio's first PFN.
 * For an order-0 folio this is folio_mapcount.
 */
export function mapcounts(mms: Iterable<Mm>, envOf: (mm: Mm) => FaultEnv): Map<U64, number> {
  const out = new Map<U64, number>();
  for (const mm of mms) {
    const g = envOf(mm);
    for (const vma of mm.vmas)
      if (vma.flags.has('VM_HUGETLB')) {
        const h = hstate_vma(g, vma, 'the mapcount of a hugetlb folio');
        for (let addr = vma.start; addr < vma.end; addr += h.size) {
          const pa = hugetlb_walk(g, addr, h);
          const v = pa === undefined ? 0n : g.t.read(pa);
          if (!test(g, 'pte_present', { pte: v })) continue;
          const pfn = g.helper('pte_pfn', { value: v }) as U64;
          out.set(pfn, (out.get(pfn) ?? 0) + 1);
        }
      } else {
        const pmdSize = g.t.size(3);
        for (let a = vma.start; a < vma.end; a = (a & ~(pmdSize - 1n)) + pmdSize) {
          const next = (a & ~(pmdSize - 1n)) + pmdSize;
          const pmdPa = findPmd(g, mm, a);
          const pmd = pmdPa === null ? 0n : g.t.read(pmdPa);
          if (pmdPa !== null && g.t.leaf(3, pmd)) {
            const head = g.helper('pmd_pfn', { value: pmd }) as U64;
            if (head === g.st.hugeZeroPfn) continue;
            const nr = pmdSize >> g.t.pageShiftN;
            for (let i = 0n; i < nr; i++) out.set(head + i, (out.get(head + i) ?? 0) + 1);
            continue;
          }
          eachPte(g, a, next < vma.end ? next : vma.end, (pa) => {
            const v = g.t.read(pa);
            if (!test(g, 'pte_present', { pte: v })) return;
            const page = vm_normal_page(g, v);
            if (page !== null) out.set(page, (out.get(page) ?? 0) + 1);
          });
        }
      }
  }
  return out;
}

/** The PMD entry's PA for `addr`, or null where an upper level has no table (no allocation). */
function findPmd(f: FaultEnv, mm: Mm, addr: U64): number | null {
  const t = f.t;
  const root = f.m.treeRoot(mm.tree);
  let pa = t.offset(0, 0, addr, root);
  for (const c of [1, 2, 3] as const) {
    const up = (c - 1) as 0 | 1 | 2;
    const v = t.read(pa);
    if (t.chain[up]!.last && (t.none(up, v) || !t.present(up, v))) return null;
    if (up === 2 && t.leaf(up, v)) return null;
    pa = t.offset(c, pa, addr, root);
  }
  return pa;
}

/** folio_mapcount of the folio at `pfn`: its present entries in every mm. */
export function folio_mapcount(f: FaultEnv, pfn: U64): number {
  const envOf = (mm: Mm): FaultEnv => (mm === f.mm ? f : { ...f, mm });
  return mapcounts(f.st.mms.values(), envOf).get(pfn) ?? 0;
}

/** pagemap_read of `count` pages from `start`: one entry per page. */
export function pagemap_read(
  f: FaultEnv,
  mms: Iterable<Mm>,
  envOf: (mm: Mm) => FaultEnv,
  start: U64,
  count: number,
  show_pfn: boolean,
): U64[] {
  const mm = f.mm;
  const page = f.t.pageSize;
  const counts = mapcounts(mms, envOf);
  const softDirtyVma = f.config.CONFIG_MEM_SOFT_DIRTY;
  // The walk visits one entry per page (a hole too): charged before it, like pagemap_scan's.
  f.t.m.work.charge('visits', count);
  const out: U64[] = [];
  for (let i = 0; i < count; i++) {
    const addr = start + BigInt(i) * page;
    const vma = mm.vmas.find((v) => v.start <= addr && addr < v.end);
    // :1893 pagemap_pte_hole: 0 outside a VMA; VM_SOFTDIRTY inside one.
    const vsd = vma && softDirtyVma && vma.flags.has('VM_SOFTDIRTY') ? PM_SOFT_DIRTY : 0n;
    if (!vma) {
      out.push(0n);
      continue;
    }
    if (vma.flags.has('VM_HUGETLB')) {
      out.push(pagemap_hugetlb(f, vma, addr, counts, show_pfn) | vsd);
      continue;
    }
    // A VM_PFNMAP VMA: walk_page_test calls pte_hole on all of it (mm/pagewalk.c:362).
    if (vma.flags.has('VM_PFNMAP')) {
      out.push(vsd);
      continue;
    }
    // :2088 pmd_trans_huge_lock: a present trans-huge PMD or any non-none non-present one
    // (pmd_is_huge, include/linux/huge_mm.h:436-449).
    const pmdPa = findPmd(f, mm, addr);
    const pmd = pmdPa === null ? 0n : f.t.read(pmdPa);
    if (pmdPa !== null && !f.t.none(3, pmd) && (f.t.leaf(3, pmd) || !f.t.present(3, pmd))) {
      if (f.t.present(3, pmd) && !f.t.transHuge(3, pmd))
        throw new UnsupportedError('a leaf PMD without CONFIG_TRANSPARENT_HUGEPAGE');
      out.push(pagemap_pmd_range_thp(f, pmd, addr, counts, show_pfn) | vsd);
      continue;
    }
    const pa = findPte(f, mm, addr);
    if (pa === null) {
      out.push(vsd);
      continue;
    }
    const pte = f.t.read(pa);
    let frame = 0n;
    let flags = 0n;
    let folio: U64 | null = null;
    if (test(f, 'pte_none', { pte })) {
      out.push(vsd);
      continue;
    }
    if (test(f, 'pte_present', { pte })) {
      if (show_pfn) frame = f.helper('pte_pfn', { value: pte }) as U64;
      flags |= PM_PRESENT;
      folio = vm_normal_page(f, pte);
      if (test(f, 'pte_soft_dirty', { pte })) flags |= PM_SOFT_DIRTY;
      if (test(f, 'pte_uffd_wp', { pte })) flags |= PM_UFFD_WP;
    } else {
      if (test(f, 'pte_swp_soft_dirty', { pte })) flags |= PM_SOFT_DIRTY;
      if (test(f, 'pte_swp_uffd_wp', { pte })) flags |= PM_UFFD_WP;
      const entry = f.helper('softleaf_from_pte', { pte }) as U64;
      const has_pfn = test(f, 'softleaf_has_pfn', { entry });
      if (show_pfn) {
        const type = BigInt(f.helper('swp_type', { entry }) as number);
        const offset = has_pfn
          ? softleaf_to_pfn(f, entry)
          : (f.helper('swp_offset', { entry }) as U64);
        frame = type | (offset << MAX_SWAPFILES_SHIFT);
      }
      // :1975 softleaf_to_page: the page of a migration, device or hwpoison entry.
      if (has_pfn) folio = softleaf_to_pfn(f, entry);
      flags |= PM_SWAP;
      if (test(f, 'softleaf_is_uffd_wp_marker', { entry })) flags |= PM_UFFD_WP;
      if (test(f, 'softleaf_is_guard_marker', { entry })) flags |= PM_GUARD_REGION;
    }
    if (folio !== null) {
      if (folio_not_anon(f, folio)) flags |= PM_FILE;
      if (flags & PM_PRESENT && counts.get(folio) === 1) flags |= PM_MMAP_EXCLUSIVE;
    }
    out.push((frame & PM_PFRAME_MASK) | flags | vsd);
  }
  return out;
}

/**
 * :2000 pagemap_pmd_range_thp, the entry of one base page under a huge PMD: a present PMD gives
 * PM_PRESENT, its soft-dirty and uffd-wp bits and pmd_pfn + idx; a migration entry PM_SWAP, its swap
 * soft-dirty and uffd-wp bits and type | (pfn + idx) << 5; PM_FILE from the folio, PM_MMAP_EXCLUSIVE
 * from the precise mapcount of the PMD's first page (:2059-2061: `page`, not page + idx).
 */
function pagemap_pmd_range_thp(
  f: FaultEnv,
  pmd: U64,
  addr: U64,
  counts: ReadonlyMap<U64, number>,
  show_pfn: boolean,
): U64 {
  const idx = (addr & (f.t.size(3) - 1n)) >> f.t.pageShiftN;
  let flags = 0n;
  let frame = 0n;
  let page: U64;
  if (f.t.present(3, pmd)) {
    page = f.helper('pmd_pfn', { value: pmd }) as U64;
    flags |= PM_PRESENT;
    if (test(f, 'pmd_soft_dirty', { pmd })) flags |= PM_SOFT_DIRTY;
    if (test(f, 'pmd_uffd_wp', { pmd })) flags |= PM_UFFD_WP;
    frame = page + idx;
  } else {
    // :2027 thp_migration_supported(): softleaf_from_pmd, pmd_swp_soft_dirty, pmd_swp_uffd_wp.
    const entry = f.helper('softleaf_from_pte', { pte: pmd }) as U64;
    if (!test(f, 'softleaf_is_migration', { entry }))
      throw new UnsupportedError('a non-present huge PMD that is not a migration entry');
    page = softleaf_to_pfn(f, entry);
    const type = BigInt(f.helper('swp_type', { entry }) as number);
    frame = type | ((page + idx) << MAX_SWAPFILES_SHIFT);
    flags |= PM_SWAP;
    if (test(f, 'pte_swp_soft_dirty', { pte: pmd })) flags |= PM_SOFT_DIRTY;
    if (test(f, 'pte_swp_uffd_wp', { pte: pmd })) flags |= PM_UFFD_WP;
  }
  // :2048 pmd_page / softleaf_to_page: the huge zero folio is not anonymous either.
  if (folio_not_anon(f, page)) flags |= PM_FILE;
  if (flags & PM_PRESENT && counts.get(page) === 1) flags |= PM_MMAP_EXCLUSIVE;
  return ((show_pfn ? frame : 0n) & PM_PFRAME_MASK) | flags;
}

/**
 * :2122 pagemap_hugetlb_range, the entry of one base page: the huge entry's flags for each of its
 * pages, the frame counting up through the huge page. No PM_SWAP, and soft-dirty only from the VMA.
 */
function pagemap_hugetlb(
  f: FaultEnv,
  vma: Vma,
  addr: U64,
  counts: ReadonlyMap<U64, number>,
  show_pfn: boolean,
): U64 {
  const h = hstate_vma(f, vma, 'pagemap_hugetlb_range');
  const pa = hugetlb_walk(f, addr & ~(h.size - 1n), h);
  const pte = pa === undefined ? 0n : f.t.read(pa);
  if (test(f, 'pte_present', { pte })) {
    const pfn = f.helper('pte_pfn', { value: pte }) as U64;
    let flags = PM_PRESENT;
    if (!(f.st.pages.get(pfn)?.anon ?? false)) flags |= PM_FILE;
    // folio_maybe_mapped_shared of a hugetlb folio: mapcount > 1 (no PMD sharing in the model).
    if ((counts.get(pfn) ?? 0) <= 1) flags |= PM_MMAP_EXCLUSIVE;
    if (test(f, 'pte_uffd_wp', { pte })) flags |= PM_UFFD_WP;
    const frame = show_pfn ? pfn + ((addr & (h.size - 1n)) >> f.t.pageShiftN) : 0n;
    return (frame & PM_PFRAME_MASK) | flags;
  }
  return pte_swp_uffd_wp_any(f, pte) ? PM_UFFD_WP : 0n;
}
