// The types and shared helpers of the page walker (mm/pagewalk.c, include/linux/pagewalk.h, Linux
// v6.19): struct mm_walk_ops and struct mm_walk as the model has them, the walk actions, and events.

import type { U64 } from '../bits/u64.ts';
import type { LinuxTables } from './pgtable.ts';
import type { LinuxState, Mm, Vma } from './state.ts';

export const EINVAL = -22;
export const ENOMEM = -12;
export const ACTION_SUBTREE = 0;
export const ACTION_CONTINUE = 1;
export const ACTION_AGAIN = 2;
export type Action = typeof ACTION_SUBTREE | typeof ACTION_CONTINUE | typeof ACTION_AGAIN;
export type WalkLock =
  'PGWALK_RDLOCK' | 'PGWALK_WRLOCK' | 'PGWALK_WRLOCK_VERIFY' | 'PGWALK_VMA_RDLOCK_VERIFY';
export type MmapLock = 'none' | 'read' | 'write';

/** An observable event of a Linux op (schemas WalkEvent). */
export interface WalkEvent {
  readonly event: string;
  readonly addr?: U64;
  readonly next?: U64;
  readonly depth?: number;
  readonly value?: U64 | 'table';
  readonly hmask?: U64;
  readonly vma?: string;
  readonly func?: string;
  readonly barriers?: boolean;
  // The dirty family's events (src/mm/mapping_dirty_helpers.ts).
  readonly end?: U64;
  readonly cpus?: readonly number[];
  readonly notifier?: string;
  readonly range_event?: string;
  readonly mm?: string;
  readonly count?: number;
}

export type EntryCb = (w: MmWalk, pa: number, addr: U64, next: U64) => number;

/** struct mm_walk_ops: absent members are NULL. */
export interface WalkCallbacks {
  readonly pgd_entry?: EntryCb | undefined;
  readonly p4d_entry?: EntryCb | undefined;
  readonly pud_entry?: EntryCb | undefined;
  readonly pmd_entry?: EntryCb | undefined;
  /**
   * The PTE at `pa` covers [addr0 + j*PAGE_SIZE, +PAGE_SIZE); `lo` and `hi` are its 32-bit halves
   * when the call is made (what *pte reads), so a callback needs no memory lookup to see it.
   */
  readonly pte_entry?:
    ((w: MmWalk, pa: number, addr0: U64, j: number, lo: number, hi: number) => number) | undefined;
  /**
   * The model's form of walk_pte_range_inner's loop for a pte_entry that only reads each PTE and
   * returns 0 or an error: one call per run of `n` PTEs of one table frame, used instead of
   * pte_entry (not with install_pte). PTE k is at pa0 + 8k, covers addr0 + (j0 + k) pages, and is
   * words[i0 + 2k] (low half), words[i0 + 2k + 1] (high half); i0 < 0 is a frame never written
   * (every PTE zero).
   */
  readonly pte_run?:
    | ((
        w: MmWalk,
        pa0: number,
        addr0: U64,
        j0: number,
        n: number,
        words: Uint32Array,
        i0: number,
      ) => number)
    | undefined;
  readonly pte_hole?: ((w: MmWalk, addr: U64, next: U64, depth: number) => number) | undefined;
  readonly hugetlb_entry?:
    ((w: MmWalk, pa: number, hmask: U64, addr: U64, next: U64) => number) | undefined;
  readonly test_walk?: ((w: MmWalk, start: U64, end: U64) => number) | undefined;
  readonly pre_vma?: ((w: MmWalk, start: U64, end: U64) => number) | undefined;
  readonly post_vma?: ((w: MmWalk) => void) | undefined;
  /** Returns the error, or 0 and the PTE to install. */
  readonly install_pte?:
    ((w: MmWalk, addr: U64, next: U64) => { ret: number; pte: U64 }) | undefined;
  readonly walk_lock: WalkLock;
  /** The most ACTION_AGAIN repeats of one entry the callbacks can ask for (0 when they set none). */
  readonly repeats?: number;
}

/** struct mm_walk, with the model's context: the tables, the tree walked and the event sink. */
export interface MmWalk {
  readonly ops: WalkCallbacks;
  readonly t: LinuxTables;
  readonly st: LinuxState;
  mm: Mm | null;
  /** The tree walked: mm->pgd, init_mm's, or walk->pgd. */
  tree: number;
  vma: Vma | null;
  action: Action;
  readonly no_vma: boolean;
  /** walk->mm == &init_mm (kernel walks). */
  readonly initMm: boolean;
  readonly events: WalkEvent[] | undefined;
  /** The caller's mmap_lock (the model of rwsem_assert_held_nolockdep). */
  readonly mmapLock: MmapLock;
  /** The step's `alloc_one_fails`: which p?d_alloc_one() returns NULL, and the calls so far. */
  readonly allocOne?: AllocOneFault;
}

/** The Nth p4d/pud/pmd/pte_alloc_one() of a step returns NULL (the page allocator found no page). */
export interface AllocOneFault {
  readonly nth: number;
  calls: number;
}

/**
 * Repeats of one entry past what the callbacks can ask for, plus two for the walker's own ACTION_AGAIN
 * (a PTE table that cannot be mapped, a PUD that a split emptied), are a loop the kernel never leaves.
 */
export const againLimit = (w: MmWalk): number => (w.ops.repeats ?? 0) + 2;

/** Record an observable event, against the vector's budget. */
export function emit(w: MmWalk, e: WalkEvent): void {
  if (!w.events) return;
  w.t.m.work.charge('events');
  w.events.push(e);
}

export function warn(w: MmWalk, func: string): void {
  emit(w, { event: 'warn', func });
}

// rwsem_assert_held_nolockdep / _write_nolockdep: WARN_ON (include/linux/rwsem.h; no lockdep).
export function mmap_assert_locked(w: MmWalk): void {
  if (w.mmapLock === 'none') warn(w, 'mmap_assert_locked');
}
export function mmap_assert_write_locked(w: MmWalk): void {
  if (w.mmapLock !== 'write') warn(w, 'mmap_assert_write_locked');
}
