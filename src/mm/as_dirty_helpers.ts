// mm/as_dirty_helpers.c of the 2019 patch (seed 001, "[PATCH v2 1/5] mm: Add write-protect and clean
// utilities for address space ranges"): apply_as_wrprotect and apply_as_clean, the ancestors of
// mapping_dirty_helpers.c, with v6.19's arch helpers (pmd_huge/pud_huge are pmd_leaf/pud_leaf
// since they were removed). Differences from v6.19 (kernel-facts §7): a VMA without
// VM_SHARED|VM_WRITE is skipped and the walk goes on; one without VM_IO (or hugetlb) is a WARN and
// skipped; the page walk is the patch's own (none-or-clear-bad at every level, WARN_ON and skip of a
// huge PUD or PMD); the flush is [start, end) of the touched PTEs, without the nested-flush case.

import type { U64 } from '../bits/u64.ts';
import {
  flush_tlb_range,
  notify,
  bitOf,
  setBit,
  tlbFlushPending,
  type CleanRecord,
} from './mapping_dirty_helpers.ts';
import { modifyPte, type Halves } from './pte-halves.ts';
import { warn, type MmWalk } from './pagewalk.ts';
import type { ChainIndex } from './pgtable.ts';
import { i_mmap } from './state.ts';

interface AsWalkRange {
  start: U64;
  end: U64;
  total: U64;
}

/** walk_as_pfn_range and its levels: every PTE of [addr, end), the callback on each. */
function walk_as_pfn_range(
  w: MmWalk,
  start: U64,
  end: U64,
  pte: (pa: number, addr: U64, lo: number, hi: number) => void,
): void {
  const t = w.t;
  const m = t.m.mem;
  const below = (c: ChainIndex, pa: number, addr: U64): boolean => {
    if (!t.chain[c]!.last) return true;
    if (t.noneOrClearBad(w.tree, c as 0 | 1 | 2 | 3, pa, addr)) return false;
    // WARN_ON(pud_huge(*pud)) / WARN_ON(pmd_huge(*pmd)): skipped.
    if ((c === 2 || c === 3) && t.leaf(c, t.read(pa))) {
      warn(w, c === 2 ? 'walk_as_pud_range' : 'walk_as_pmd_range');
      return false;
    }
    return true;
  };
  t.descend(t.m.treeRoot(w.tree), start, end, below, (pa, addr) =>
    pte(pa, addr, m.lo(pa), m.hi(pa)),
  );
}

/** apply_as_range: every VMA of the file over [first_index, first_index + nr), in i_mmap order. */
export function apply_as_range(
  w: MmWalk,
  x: Halves,
  file: string,
  first_index: U64,
  nr: U64,
  clean: CleanRecord | undefined,
): U64 {
  const shift = BigInt(w.t.pageShift);
  const page = 1n << shift;
  const awr: AsWalkRange = { start: 0n, end: 0n, total: 0n };
  const test = x.tester(clean ? 'pte_dirty' : 'pte_write');
  const change = x.changer(clean ? 'pte_mkclean' : 'pte_wrprotect');
  for (const vma of i_mmap(w.st, file, first_index, first_index + nr - 1n, page)) {
    // Skip non-applicable VMAs.
    if (!vma.flags.has('VM_SHARED') || !vma.flags.has('VM_WRITE')) continue;
    // Warn on and skip VMAs whose flags indicate illegal usage.
    if (vma.flags.has('VM_HUGETLB') || !vma.flags.has('VM_IO')) {
      warn(w, 'apply_as_range');
      continue;
    }
    const vba = vma.pgoff;
    const vea = vba + ((vma.end - vma.start) >> shift);
    const cba = first_index > vba ? first_index : vba;
    const cea = first_index + nr < vea ? first_index + nr : vea;
    const start_addr = ((cba - vba) << shift) + vma.start;
    const end_addr = ((cea - vba) << shift) + vma.start;
    if (start_addr >= end_addr) continue;
    w.vma = vma;
    w.mm = vma.mm;
    w.tree = vma.mm.tree;
    awr.start = end_addr;
    awr.end = start_addr;
    notify(w, vma.mm, 'start', start_addr, end_addr);
    tlbFlushPending(w, vma.mm, 1);
    walk_as_pfn_range(w, start_addr, end_addr, (pa, addr, lo, hi) => {
      if (!test(lo, hi)) return;
      modifyPte(w, change, pa, addr, 0, lo, hi);
      awr.total++;
      if (addr < awr.start) awr.start = addr;
      if (addr + page > awr.end) awr.end = addr + page;
      if (clean) setBit(clean, bitOf(clean, vma, addr, w.t.pageShift));
    });
    if (awr.end > awr.start) flush_tlb_range(w, vma, awr.start, awr.end);
    notify(w, vma.mm, 'end', start_addr, end_addr);
    tlbFlushPending(w, vma.mm, -1);
  }
  return awr.total;
}
