// mm/mapping_dirty_helpers.c (Linux v6.19): write-protect, or clean and record in a bitmap, every PTE
// that maps a range of a file, in every VMA of every mm that maps it (walk_page_mapping), with the
// smallest TLB flush; and the shared pieces of the seed's 2019 form (src/mm/as_dirty_helpers.ts).
// kernel-facts §7.

import { MASK64, type U64 } from '../bits/u64.ts';
import { VectorFormatError } from '../errors.ts';
import {
  ACTION_CONTINUE,
  emit,
  walk_page_mapping,
  warn,
  type HugePteOffset,
  type MmWalk,
  type WalkCallbacks,
  type WalkEvent,
} from './pagewalk.ts';
import type { EntryChange } from './pgtable.ts';
import type { Mm, Vma } from './state.ts';
import { flushPages, mmCpus } from './vm-fault.ts';
import type { Halves, Helper } from './pte-halves.ts';

/** What a dirty helper returns (schemas DirtyResult): with `clean`, the bitmap and start/end after. */
export interface DirtyResult {
  readonly kind: 'dirty';
  readonly ret: U64;
  readonly clean?: CleanRecord;
  readonly events: readonly WalkEvent[];
  readonly changes: readonly EntryChange[];
}

/** The bitmap side of clean_record_shared_mapping_range / apply_as_clean. */
export interface CleanRecord {
  readonly bitmap_pgoff: U64;
  /** The bitmap's 64-bit words as halves during the walk (word k is [2k] low, [2k+1] high). */
  readonly words: Uint32Array;
  /** *start and *end (final once `finishRecord` has run). */
  start: U64;
  end: U64;
  /** The lowest and highest bit set by this call (numbers: a bitmap has at most 2^32 bits). */
  min: number;
  max: number;
}

/** mmu_notifier_invalidate_range_start/end: one call per subscription, newest first. */
export function notify(w: MmWalk, mm: Mm, phase: 'start' | 'end', start: U64, end: U64): void {
  for (const notifier of mm.notifiers)
    emit(w, {
      event: `mmu_notifier_invalidate_range_${phase}`,
      notifier,
      mm: mm.name,
      ...(phase === 'start' ? { range_event: 'MMU_NOTIFY_PROTECTION_PAGE' } : {}),
      addr: start,
      end,
    });
}

/** inc_tlb_flush_pending / dec_tlb_flush_pending (include/linux/mm_types.h). */
export function tlbFlushPending(w: MmWalk, mm: Mm, by: 1 | -1): void {
  mm.tlbFlushPending += by;
  emit(w, {
    event: by > 0 ? 'inc_tlb_flush_pending' : 'dec_tlb_flush_pending',
    mm: mm.name,
    count: mm.tlbFlushPending,
  });
}

/** flush_tlb_range(vma, start, end): the CPUs running the VMA's mm, entries overlapping the range. */
export function flush_tlb_range(w: MmWalk, vma: Vma, start: U64, end: U64): void {
  const cpus = mmCpus(w.t.m, vma.mm);
  flushPages(w.t.m, cpus, start, end);
  emit(w, { event: 'flush_tlb_range', vma: vma.name, addr: start, end, cpus });
}

/** __set_bit(pgoff, bitmap) and the start/end bookkeeping of a cleaned page (pgoff from bitmap_pgoff). */
export function setBit(c: CleanRecord, pgoff: number): void {
  c.words[pgoff >>> 5] = c.words[pgoff >>> 5]! | (1 << (pgoff & 31));
  if (pgoff < c.min) c.min = pgoff;
  if (pgoff > c.max) c.max = pgoff;
}

/** The bit of the page at `addr` of `vma`, relative to bitmap_pgoff. */
export function bitOf(c: CleanRecord, vma: Vma, addr: U64, pageShift: number): number {
  return Number(((addr - vma.start) >> BigInt(pageShift)) + vma.pgoff - c.bitmap_pgoff);
}

/** The call's *start = min(*start, bits set) and *end = max(*end, last bit + 1). */
export function finishRecord(c: CleanRecord): void {
  if (c.max < 0) return;
  if (BigInt(c.min) < c.start) c.start = BigInt(c.min);
  if (BigInt(c.max) + 1n > c.end) c.end = BigInt(c.max) + 1n;
}

/** The bitmap as 64-bit words. */
export function bitmapWords(c: CleanRecord): U64[] {
  const out: U64[] = [];
  for (let k = 0; k < c.words.length; k += 2)
    out.push((BigInt(c.words[k + 1]!) << 32n) | BigInt(c.words[k]!));
  return out;
}

/** The bitmap argument's checks: it covers [first_index, first_index + nr) from bitmap_pgoff. */
export function checkBitmap(first_index: U64, nr: U64, bitmap_pgoff: U64, words: number): void {
  if (first_index + nr > MASK64)
    throw new VectorFormatError('first_index + nr wraps past 2^64', '/args/nr');
  if (bitmap_pgoff > first_index)
    throw new VectorFormatError(
      'bitmap_pgoff is above first_index: the bitmap must cover the range',
      '/args/bitmap_pgoff',
    );
  const bits = first_index + nr - bitmap_pgoff;
  if (BigInt(words) * 64n < bits)
    throw new VectorFormatError(
      `the bitmap has ${words * 64} bits; the range needs ${bits} (first_index + nr - bitmap_pgoff)`,
      '/args/bitmap',
    );
}

export interface WpWalk {
  rangeStart: U64;
  rangeEnd: U64;
  tlbflush_start: U64;
  tlbflush_end: U64;
  total: U64;
}

// The PTEs a run changes: their index in the run and new halves (scratch of one pte_run call).
const ks = new Int32Array(512);
const changed = new Uint32Array(2);
const newLo = new Int32Array(512);
const newHi = new Int32Array(512);

/** The v6.19 mm_walk_ops (:224-243), with wp_pte or clean_record_pte as pte_entry. */
export function wpCleanOps(
  h: Helper,
  x: Halves,
  wp: WpWalk,
  clean: CleanRecord | undefined,
): WalkCallbacks {
  const test = x.tester(clean ? 'pte_dirty' : 'pte_write');
  const change = x.changer(clean ? 'pte_mkclean' : 'pte_wrprotect');
  // As int32 (the loop's arithmetic stays in 32-bit registers).
  const FL = x.flags.lo | 0;
  const FH = x.flags.hi | 0;
  return {
    walk_lock: 'PGWALK_RDLOCK',
    // :34 wp_pte, :89 clean_record_pte, over a run of PTEs of one table (pte_run).
    pte_run: (w, pa0, addr0, j0, n, words, i0) => {
      if (i0 < 0) return 0; // a table never written: every PTE none, neither writable nor dirty
      // The PTEs' flags mostly repeat, or alternate between two sets (dirty and clean ones): the
      // answers for the current and the previous flags are kept (~FL: no PTE's flags; the low half
      // always holds PFN bits).
      let keyLo = ~FL;
      let keyHi = 0;
      let hit = false;
      let chLo = 0;
      let chHi = 0;
      let altLo = ~FL;
      let altHi = 0;
      let altHit = false;
      let altChLo = 0;
      let altChHi = 0;
      let count = 0;
      for (let k = 0; k < n; k++) {
        const lo = words[i0 + 2 * k]!;
        const hi = words[i0 + 2 * k + 1]!;
        if ((lo & FL) !== keyLo || (hi & FH) !== keyHi) {
          const fLo = lo & FL;
          const fHi = hi & FH;
          const wasAlt = fLo === altLo && fHi === altHi;
          const tHit: boolean = altHit;
          const tLo: number = altChLo;
          const tHi: number = altChHi;
          altLo = keyLo;
          altHi = keyHi;
          altHit = hit;
          altChLo = chLo;
          altChHi = chHi;
          keyLo = fLo;
          keyHi = fHi;
          if (wasAlt) {
            hit = tHit;
            chLo = tLo;
            chHi = tHi;
          } else {
            hit = test(lo, hi);
            // The change of these flags (the PFN bits are kept).
            if (hit) {
              change(fLo, fHi, changed);
              chLo = changed[0]!;
              chHi = changed[1]!;
            }
          }
        }
        if (!hit) continue;
        ks[count] = k;
        newLo[count] = (lo & ~FL) | chLo;
        newHi[count] = (hi & ~FH) | chHi;
        count++;
      }
      if (count === 0) return 0;
      // ptep_modify_prot_start/commit of each (made together: nothing reads the table meanwhile).
      w.t.writePtes(w.tree, pa0, addr0, j0, words, i0, ks, newLo, newHi, count);
      // wp->tlbflush_start = min(addr), wp->tlbflush_end = max(addr + PAGE_SIZE); wp->total++.
      const kfirst = ks[0]!;
      const klast = ks[count - 1]!;
      const shift = w.t.pageShiftN;
      const first = addr0 + (BigInt(j0 + kfirst) << shift);
      const next = addr0 + (BigInt(j0 + klast + 1) << shift);
      wp.total += BigInt(count);
      if (first < wp.tlbflush_start) wp.tlbflush_start = first;
      if (next > wp.tlbflush_end) wp.tlbflush_end = next;
      if (clean) {
        // __set_bit(cur - bitmap_pgoff) of each, and *start/*end.
        const bit0 = bitOf(clean, w.vma!, addr0, w.t.pageShift) + j0;
        for (let i = 0; i < count; i++) {
          const b = bit0 + ks[i]!;
          clean.words[b >>> 5]! |= 1 << (b & 31);
        }
        if (bit0 + kfirst < clean.min) clean.min = bit0 + kfirst;
        if (bit0 + klast > clean.max) clean.max = bit0 + klast;
      }
      return 0;
    },
    // :126 wp_clean_pmd_entry: a huge PMD is never split; WARN if writable or dirty.
    pmd_entry: (w, pa) => {
      const v = w.t.read(pa);
      if (w.t.transHuge(3, v)) {
        if (h('pmd_write', v) === true || h('pmd_dirty', v) === true) warn(w, 'wp_clean_pmd_entry');
        w.action = ACTION_CONTINUE;
      }
      return 0;
    },
    // :148 wp_clean_pud_entry (pud_trans_huge is 0 without HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD).
    pud_entry: (w, pa) => {
      const v = w.t.read(pa);
      if (h('pud_trans_huge', v) === true) {
        if (h('pud_write', v) === true || h('pud_dirty', v) === true) warn(w, 'wp_clean_pud_entry');
        w.action = ACTION_CONTINUE;
      }
      return 0;
    },
    // :218 wp_clean_test_walk: only shared, may-write, non-hugetlb VMAs.
    test_walk: (w) =>
      w.vma!.flags.has('VM_SHARED') &&
      w.vma!.flags.has('VM_MAYWRITE') &&
      !w.vma!.flags.has('VM_HUGETLB')
        ? 0
        : 1,
    // :169 wp_clean_pre_vma (flush_cache_range is empty on the three arches: no event).
    pre_vma: (w, start, end) => {
      wp.tlbflush_start = end;
      wp.tlbflush_end = start;
      wp.rangeStart = start;
      wp.rangeEnd = end;
      notify(w, w.mm!, 'start', start, end);
      tlbFlushPending(w, w.mm!, 1);
      return 0;
    },
    // :198 wp_clean_post_vma: mm_tlb_flush_nested (another flush pending) flushes the whole range.
    post_vma: (w) => {
      if (w.mm!.tlbFlushPending > 1) flush_tlb_range(w, w.vma!, wp.rangeStart, wp.rangeEnd);
      else if (wp.tlbflush_end > wp.tlbflush_start)
        flush_tlb_range(w, w.vma!, wp.tlbflush_start, wp.tlbflush_end);
      notify(w, w.mm!, 'end', wp.rangeStart, wp.rangeEnd);
      tlbFlushPending(w, w.mm!, -1);
    },
  };
}

/** struct wp_walk, zeroed. */
export const wpWalk = (): WpWalk => ({
  rangeStart: 0n,
  rangeEnd: 0n,
  tlbflush_start: 0n,
  tlbflush_end: 0n,
  total: 0n,
});

/**
 * :263 wp_shared_mapping_range and :313 clean_record_shared_mapping_range (a walk made with
 * wpCleanOps over `wp`): the walk's result only feeds a WARN_ON; the count is returned.
 */
export function mapping_dirty_walk(
  w: MmWalk,
  wp: WpWalk,
  huge: HugePteOffset,
  file: string,
  first_index: U64,
  nr: U64,
  func: string,
): U64 {
  if (walk_page_mapping(w, file, first_index, nr, huge) !== 0) warn(w, func);
  return wp.total;
}

/** :320-335: *start >= *end means none set; the call extends the caller's [start, end) otherwise. */
export function cleanRecord(
  nr: U64,
  bitmap_pgoff: U64,
  bitmap: readonly U64[],
  start: U64,
  end: U64,
): CleanRecord {
  const none_set = start >= end;
  const words = new Uint32Array(bitmap.length * 2);
  bitmap.forEach((w, k) => {
    words[2 * k] = Number(w & 0xffffffffn);
    words[2 * k + 1] = Number((w >> 32n) & 0xffffffffn);
  });
  return {
    bitmap_pgoff,
    words,
    start: none_set ? nr : start,
    end: none_set ? 0n : end,
    min: Infinity,
    max: -1,
  };
}
