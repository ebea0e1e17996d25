// fs/proc/task_mmu.c (Linux v6.19) pagemap_read (:2205): what /proc/pid/pagemap shows of each page,
// pte_to_pagemap_entry (:1933), pagemap_hugetlb_range (:2122) and pagemap_pte_hole (:1893). Model
// choices: order-0 folios besides hugetlb (the mapcount of PM_MMAP_EXCLUSIVE counts the present entries
// mapping the folio in every mm); a huge PMD outside hugetlb is unsupported.

import type { U64 } from '../bits/u64.ts';
import { eachPte } from './change_protection.ts';
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
 * How many present entries map each folio, in every mm (folio_mapcount): PTEs of order-0 folios, and
 * hugetlb entries by their huge folio's first PFN.
 */
export function mapcounts(mms: Iterable<Mm>, envOf: (mm: Mm) => FaultEnv): Map<U64, number> {
  const out = new Map<U64, number>();
  for (const mm of mms) {
    const g = envOf(mm);
    for (const vma of mm.vmas)
      if (vma.flags.has('VM_HUGETLB')) {
        const h = hstate_vma(g, vma);
        for (let addr = vma.start; addr < vma.end; addr += h.size) {
          const pa = hugetlb_walk(g, addr, h);
          const v = pa === undefined ? 0n : g.t.read(pa);
          if (!test(g, 'pte_present', { pte: v })) continue;
          const pfn = g.helper('pte_pfn', { value: v }) as U64;
          out.set(pfn, (out.get(pfn) ?? 0) + 1);
        }
      } else
        eachPte(g, vma.start, vma.end, (pa) => {
          const v = g.t.read(pa);
          if (!test(g, 'pte_present', { pte: v })) return;
          const page = vm_normal_page(g, v);
          if (page !== null) out.set(page, (out.get(page) ?? 0) + 1);
        });
  }
  return out;
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
    const pa = vma.flags.has('VM_PFNMAP') ? null : findPte(f, mm, addr);
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
      if (!(f.st.pages.get(folio)?.anon ?? false)) flags |= PM_FILE;
      if (flags & PM_PRESENT && counts.get(folio) === 1) flags |= PM_MMAP_EXCLUSIVE;
    }
    out.push((frame & PM_PFRAME_MASK) | flags | vsd);
  }
  return out;
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
  const h = hstate_vma(f, vma);
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
