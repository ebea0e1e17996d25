// fs/proc/task_mmu.c (Linux v6.19): PAGEMAP_SCAN on a huge PMD and on a hugetlb VMA. The categories
// of a huge PMD (pagemap_thp_category :2411) and of a hugetlb entry (pagemap_hugetlb_category :2473),
// their write-protection (make_uffd_wp_pmd :2456, make_uffd_wp_huge_pte :2508), and the two walk
// callbacks that use them: pagemap_scan_thp_entry (:2682), which pagemap_scan_pmd_entry tries first,
// and pagemap_scan_hugetlb_entry (:2832), with pagemap_scan_backout_range (:2535).
// Model choices: the split of a partly covered THP is huge_memory.ts's split_huge_pmd (its TLB flushes
// and mmu notifier calls are not events; a PMD migration entry is not split); a hugetlb VMA has no
// i_mmap or huge PTE lock contention; flush_hugetlb_tlb_range is the arch's function by name (arm64's
// own, include/linux/hugetlb.h:1350's flush_tlb_range on x86 and riscv).

import type { U64 } from '../bits/u64.ts';
import { UnsupportedError } from '../errors.ts';
import { split_huge_pmd } from './huge_memory.ts';
import { hstate_vma, huge_pte_mkuffd_wp, set_huge_pte_at } from './hugetlb.ts';
import type { MmWalk } from './pagewalk.ts';
import type { Vma } from './state.ts';
import { folio_not_anon } from './task_mmu.ts';
import { pte_swp_uffd_wp_any } from './userfaultfd_k.ts';
import { flushRange, is_zero_pfn, softleaf_to_pfn, type FaultEnv } from './vm-fault.ts';

export const WRITTEN = 1 << 1;
const FILE = 1 << 2;
const PRESENT = 1 << 3;
const SWAPPED = 1 << 4;
const PFNZERO = 1 << 5;
const HUGE = 1 << 6;
const SOFT_DIRTY = 1 << 7;
export const WP_MATCHING = 1n;
export const ENOENT = -2;
const PTE_MARKER_UFFD_WP = 1;

/** What the two callbacks read and write of struct pagemap_scan_private (task_mmu.c:2334). */
export interface ScanPrivate {
  readonly f: FaultEnv;
  readonly arch: string;
  readonly flags: U64;
  /** :3032 masks_of_interest has PAGE_IS_FILE. */
  readonly wantFile: boolean;
  readonly cur_vma_category: () => number;
  readonly interesting: (c: number) => boolean;
  /** :2648 pagemap_scan_output: [ret, the end it kept]. */
  readonly output: (c: number, addr: U64, to: U64) => [number, U64];
  /** :2535 pagemap_scan_backout_range. */
  readonly backout: (addr: U64, end: U64) => void;
  /** p->arg.walk_end = v. */
  readonly set_walk_end: (v: U64) => void;
}

const is = (f: FaultEnv, name: string, a: Record<string, U64>): boolean =>
  f.helper(name, a) === true;
const notAnon = folio_not_anon;

/** :2411 pagemap_thp_category: always HUGE (pmd_swp_* are the pte_swp_* of pmd_pte()). */
export function pagemap_thp_category(f: FaultEnv, wantFile: boolean, pmd: U64): number {
  let c = HUGE;
  if (f.t.none(3, pmd)) return c;
  if (f.t.present(3, pmd)) {
    c |= PRESENT;
    if (!is(f, 'pmd_uffd_wp', { pmd })) c |= WRITTEN;
    const pfn = f.helper('pmd_pfn', { value: pmd }) as U64;
    const zero = pfn === f.st.hugeZeroPfn;
    // vm_normal_page_pmd (mm/memory.c): no page for the huge zero PMD, a special one, or past RAM.
    if (wantFile && !zero && !is(f, 'pmd_special', { pmd }) && pfn <= f.st.highestPfn)
      if (notAnon(f, pfn)) c |= FILE;
    if (zero) c |= PFNZERO; // is_huge_zero_pmd
    if (is(f, 'pmd_soft_dirty', { pmd })) c |= SOFT_DIRTY;
  } else {
    c |= SWAPPED;
    if (!is(f, 'pte_swp_uffd_wp', { pte: pmd })) c |= WRITTEN;
    if (is(f, 'pte_swp_soft_dirty', { pte: pmd })) c |= SOFT_DIRTY;
    if (wantFile) {
      const entry = f.helper('softleaf_from_pte', { pte: pmd }) as U64;
      if (is(f, 'softleaf_has_pfn', { entry }) && notAnon(f, softleaf_to_pfn(f, entry))) c |= FILE;
    }
  }
  return c;
}

/**
 * :2456 make_uffd_wp_pmd: a present PMD through pmdp_invalidate_ad (x86's establishes the invalid PMD
 * without a flush, arch/x86/mm/pgtable.c:520-530; the generic one is pmdp_invalidate, which flushes
 * the PMD range, mm/pgtable-generic.c:199-215) and pmd_mkuffd_wp of the old value; a migration entry
 * gets the swap uffd-wp bit.
 */
function make_uffd_wp_pmd(p: ScanPrivate, w: MmWalk, pmdPa: number, addr: U64): void {
  const { f } = p;
  const t = f.t;
  const pmd = t.read(pmdPa);
  if (t.present(3, pmd)) {
    if (p.arch !== 'x86_64') flushRange(f, 'flush_tlb_range', addr, addr + t.size(3));
    t.write(w.tree, 3, pmdPa, addr, f.helper('pmd_mkuffd_wp', { pmd }) as U64);
  } else {
    const entry = f.helper('softleaf_from_pte', { pte: pmd }) as U64;
    if (is(f, 'softleaf_is_migration', { entry }))
      t.write(w.tree, 3, pmdPa, addr, f.helper('pte_swp_mkuffd_wp', { pte: pmd }) as U64);
  }
}

/**
 * :2682 pagemap_scan_thp_entry: ENOENT when the PMD is not huge (pmd_trans_huge_lock) or after the split
 * of a THP the range covers only part of (the pages are then reported by the PTE path).
 */
export function pagemap_scan_thp_entry(
  p: ScanPrivate,
  w: MmWalk,
  pmdPa: number,
  start: U64,
  end: U64,
): number {
  const { f } = p;
  const t = f.t;
  const pmd = t.read(pmdPa);
  if (t.none(3, pmd) || (t.present(3, pmd) && !t.leaf(3, pmd))) return ENOENT;
  if (t.present(3, pmd) && !t.transHuge(3, pmd))
    throw new UnsupportedError('a leaf PMD without CONFIG_TRANSPARENT_HUGEPAGE');
  const categories = p.cur_vma_category() | pagemap_thp_category(f, p.wantFile, pmd);
  if (!p.interesting(categories)) return 0;
  const [ret, to] = p.output(categories, start, end);
  if (start === to) return ret;
  if (!(p.flags & WP_MATCHING) || !(categories & WRITTEN)) return ret;
  // :2715 a part of the huge page: split it, take the output back, report as if there was no THP.
  if (to !== start + t.size(3)) {
    split_huge_pmd(w, pmdPa, pmd, start);
    p.backout(start, to);
    return ENOENT;
  }
  make_uffd_wp_pmd(p, w, pmdPa, start);
  flushRange(f, 'flush_tlb_range', start, to);
  return ret;
}

/** :2473 pagemap_hugetlb_category: always HUGE; FILE from the page itself, never for a swap entry. */
export function pagemap_hugetlb_category(f: FaultEnv, pte: U64): number {
  let c = HUGE;
  if (is(f, 'pte_none', { pte })) return c;
  if (is(f, 'pte_present', { pte })) {
    c |= PRESENT;
    if (!is(f, 'pte_uffd_wp', { pte })) c |= WRITTEN; // huge_pte_uffd_wp
    const pfn = f.helper('pte_pfn', { value: pte }) as U64;
    if (notAnon(f, pfn)) c |= FILE;
    if (is_zero_pfn(f.st, pfn)) c |= PFNZERO;
    if (is(f, 'pte_soft_dirty', { pte })) c |= SOFT_DIRTY;
  } else {
    c |= SWAPPED;
    if (!pte_swp_uffd_wp_any(f, pte)) c |= WRITTEN;
    if (is(f, 'pte_swp_soft_dirty', { pte })) c |= SOFT_DIRTY;
  }
  return c;
}

/**
 * :2508 make_uffd_wp_huge_pte: a none entry gets the marker, hwpoison and markers stay, a migration
 * entry gets the swap bit, a present one huge_pte_mkuffd_wp (huge_ptep_modify_prot_commit is
 * set_huge_pte_at).
 */
function make_uffd_wp_huge_pte(f: FaultEnv, vma: Vma, pa: number, addr: U64, pte: U64): void {
  const h = hstate_vma(f, vma);
  if (is(f, 'pte_none', { pte })) {
    const marker = f.helper('make_pte_marker', { marker: PTE_MARKER_UFFD_WP }) as U64;
    set_huge_pte_at(f, h, pa, addr, marker);
    return;
  }
  if (!is(f, 'pte_present', { pte })) {
    const entry = f.helper('softleaf_from_pte', { pte }) as U64;
    if (is(f, 'softleaf_is_migration', { entry }))
      set_huge_pte_at(f, h, pa, addr, f.helper('pte_swp_mkuffd_wp', { pte }) as U64);
    return; // hwpoison, a marker
  }
  set_huge_pte_at(f, h, pa, addr, huge_pte_mkuffd_wp(f, pte));
}

/**
 * :2832 pagemap_scan_hugetlb_entry. With WP_MATCHING a WRITTEN entry is protected only when the range
 * is start + HPAGE_SIZE (the PMD size, arch/x86/include/asm/page_types.h:20-21, arm64 pgtable.h:515,
 * riscv page.h:17): any other (a 1G page, a clipped range, a cut by max_pages) is backed out, walk_end
 * is set to its start and the walk goes on (ret 0).
 */
export function pagemap_scan_hugetlb_entry(
  p: ScanPrivate,
  w: MmWalk,
  pa: number,
  start: U64,
  end: U64,
): number {
  const { f } = p;
  hstate_vma(f, w.vma!, 'pagemap_scan_hugetlb_entry');
  const pte = f.t.read(pa); // huge_ptep_get
  const categories = p.cur_vma_category() | pagemap_hugetlb_category(f, pte);
  if (!p.interesting(categories)) return 0;
  const [ret, to] = p.output(categories, start, end);
  if (!(p.flags & WP_MATCHING)) return ret;
  if (start === to || !(categories & WRITTEN)) return ret;
  if (to !== start + f.t.size(3)) {
    p.backout(start, to);
    p.set_walk_end(start);
    return 0;
  }
  make_uffd_wp_huge_pte(f, w.vma!, pa, start, pte);
  flushRange(f, 'flush_tlb_range', start, to);
  return ret;
}
