// mm/pagewalk.c (Linux v6.19): the generic page-table walker and its entry points. Line numbers are
// those of v6.19 (kernel-facts §8). Callbacks are functions; src/mm/walk-script.ts turns a vector's
// scripted mm_walk_ops into them. Addresses are bigint; the PTE loop passes the first address and an
// index so that a callback that does not need the address costs no bigint arithmetic.

import { MASK64, type U64 } from '../bits/u64.ts';
import { UnsupportedError, VectorFormatError } from '../errors.ts';
import { split_huge_pmd, split_huge_pud } from './huge_memory.ts';
import type { ChainIndex, LinuxTables } from './pgtable.ts';
import { find_vma, i_mmap, type LinuxState, type Mm, type Vma } from './state.ts';

export const EINVAL = -22;
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
  readonly value?: U64;
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
  readonly pgd_entry?: EntryCb;
  readonly p4d_entry?: EntryCb;
  readonly pud_entry?: EntryCb;
  readonly pmd_entry?: EntryCb;
  /**
   * The PTE at `pa` covers [addr0 + j*PAGE_SIZE, +PAGE_SIZE); `lo` and `hi` are its 32-bit halves
   * when the call is made (what *pte reads), so a callback needs no memory lookup to see it.
   */
  readonly pte_entry?: (
    w: MmWalk,
    pa: number,
    addr0: U64,
    j: number,
    lo: number,
    hi: number,
  ) => number;
  /**
   * The model's form of walk_pte_range_inner's loop for a pte_entry that only reads each PTE and
   * returns 0 or an error: one call per run of `n` PTEs of one table frame, used instead of
   * pte_entry (not with install_pte). PTE k is at pa0 + 8k, covers addr0 + (j0 + k) pages, and is
   * words[i0 + 2k] (low half), words[i0 + 2k + 1] (high half); i0 < 0 is a frame never written
   * (every PTE zero).
   */
  readonly pte_run?: (
    w: MmWalk,
    pa0: number,
    addr0: U64,
    j0: number,
    n: number,
    words: Uint32Array,
    i0: number,
  ) => number;
  readonly pte_hole?: (w: MmWalk, addr: U64, next: U64, depth: number) => number;
  readonly hugetlb_entry?: (w: MmWalk, pa: number, hmask: U64, addr: U64, next: U64) => number;
  readonly test_walk?: (w: MmWalk, start: U64, end: U64) => number;
  readonly pre_vma?: (w: MmWalk, start: U64, end: U64) => number;
  readonly post_vma?: (w: MmWalk) => void;
  /** Returns the error, or 0 and the PTE to install. */
  readonly install_pte?: (w: MmWalk, addr: U64, next: U64) => { ret: number; pte: U64 };
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
}

/**
 * Repeats of one entry past what the callbacks can ask for, plus two for the walker's own ACTION_AGAIN
 * (a PTE table that cannot be mapped, a PUD that a split emptied), are a loop the kernel never leaves.
 */
const againLimit = (w: MmWalk): number => (w.ops.repeats ?? 0) + 2;

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
function mmap_assert_locked(w: MmWalk): void {
  if (w.mmapLock === 'none') warn(w, 'mmap_assert_locked');
}
function mmap_assert_write_locked(w: MmWalk): void {
  if (w.mmapLock !== 'write') warn(w, 'mmap_assert_write_locked');
}

const root = (w: MmWalk): number => w.t.m.treeRoot(w.tree);

const ENTRY_CB = ['pgd_entry', 'p4d_entry', 'pud_entry', 'pmd_entry'] as const;
/**
 * A zero entry at chain level c calls nothing: the levels folded with it (c and the trivial levels
 * down to the real one) have no pXd_entry, whose trivial pXd_none would let it run on an empty entry.
 */
function quietWhenZero(w: MmWalk, c: ChainIndex): boolean {
  for (let k = c; !w.t.chain[k]!.last; k++) if (w.ops[ENTRY_CB[k as 0 | 1 | 2 | 3]]) return false;
  return true;
}

/** walk_pte_range_inner (:30) and walk_pte_range (:62); returns the error, sets ACTION_AGAIN on a failed map. */
function walk_pte_range(w: MmWalk, pmdPa: number, pmd: U64, addr: U64, end: U64): number {
  const t = w.t;
  if (!w.no_vma || !w.initMm) {
    // pte_offset_map(_lock) -> ___pte_offset_map (mm/pgtable-generic.c): none, !present and trans_huge
    // PMDs do not map; a bad PMD is cleared (pmd_clear_bad) and does not map.
    let mapped = !(t.none(3, pmd) || !t.present(3, pmd) || t.transHuge(3, pmd));
    if (mapped && t.bad(3, pmd)) {
      t.write(w.tree, 3, pmdPa, addr, 0n);
      mapped = false;
    }
    if (!mapped) {
      w.action = ACTION_AGAIN;
      return 0;
    }
  }
  const ops = w.ops;
  const shift = t.pageShiftN;
  const page = t.pageSize;
  const first = t.offset(4, pmdPa, addr, root(w));
  const n = Number(((end - addr) & MASK64) >> shift);
  t.m.work.charge('visits', n);
  const pte_entry = ops.pte_entry;
  const pte_run = ops.pte_run;
  const install = ops.install_pte;
  if (install) {
    for (let j = 0; j < n; j++) {
      const pa = first + j * 8;
      let err: number;
      if (pte_none(t, t.read(pa))) {
        const a = (addr + BigInt(j) * page) & MASK64;
        const r = install(w, a, (a + page) & MASK64);
        err = r.ret;
        if (err) return err;
        // set_pte_at; update_mmu_cache is not observable here. arm64 contpte_try_fold on the last
        // PTE of an aligned block needs folio state: not modelled.
        const pte = t.h.upper.set_pte_at(r.pte);
        if (pte !== r.pte) foldCheck(t, a, pte);
        t.write(w.tree, 4, pa, a, pte);
      } else {
        if (!pte_entry)
          throw new UnsupportedError('install_pte without pte_entry meets a PTE: NULL call');
        err = pte_entry(w, pa, addr, j, t.m.mem.lo(pa), t.m.mem.hi(pa));
        if (err) return err;
      }
    }
    return 0;
  }
  // walk_pte_range_inner: pte_entry for every PTE, empty ones included. The PTEs are read straight
  // from the frame's storage; the index is found once per 4 KiB frame.
  const mem = t.m.mem;
  let j = 0;
  while (j < n) {
    const pa0 = first + j * 8;
    const inFrame = Math.min(n - j, (4096 - (pa0 & 4095)) >>> 3);
    const i0 = mem.index(pa0);
    const words = mem.words;
    if (pte_run) {
      const err = pte_run(w, pa0, addr, j, inFrame, words, i0);
      if (err) return err;
      j += inFrame;
      continue;
    }
    for (let k = 0; k < inFrame; k++, j++) {
      const lo = i0 < 0 ? 0 : words[i0 + 2 * k]!;
      const hi = i0 < 0 ? 0 : words[i0 + 2 * k + 1]!;
      const err = pte_entry!(w, pa0 + k * 8, addr, j, lo, hi);
      if (err) return err;
    }
  }
  return 0;
}

/** arm64 contpte_try_fold: only for the last PTE of an aligned block with an aligned PFN. */
function foldCheck(t: LinuxTables, addr: U64, pte: U64): void {
  const n = BigInt(t.h.upper.contPtes(t.pageShift) - 1);
  const pfn = t.op('pte_pfn', { value: pte }) as U64 | undefined;
  const valid = (pte & 1n) !== 0n;
  if (((addr >> BigInt(t.pageShift)) & n) === n && pfn !== undefined && (pfn & n) === n && valid)
    throw new UnsupportedError('arm64 contpte_try_fold (needs folio state) is not modelled');
}

/** ops->pte_entry is set (as pte_entry or in its run form). */
const hasPte = (ops: WalkCallbacks): boolean =>
  ops.pte_entry !== undefined || ops.pte_run !== undefined;

function pte_none(t: LinuxTables, v: U64): boolean {
  const none = t.op('pte_none', { pte: v });
  return none === undefined ? v === 0n : none === true;
}

/** walk_pmd_range (:97). */
function walk_pmd_range(w: MmWalk, pudPa: number, addr: U64, end: U64): number {
  const t = w.t;
  const ops = w.ops;
  const has_handler = hasPte(ops);
  const has_install = ops.install_pte !== undefined;
  const depth = t.realDepth(3);
  let err = 0;
  let pmdPa = t.offset(3, pudPa, addr, root(w));
  const fast = !has_install && !ops.pte_hole && quietWhenZero(w, 3);
  let left = t.entries(3, addr, end);
  let again = 0;
  for (;;) {
    t.m.work.charge('visits');
    const next = t.addrEnd(3, addr, end);
    let skip = false;
    if (fast && t.zero(pmdPa)) {
      // A run of empty entries, none of which calls anything: skip it at once.
      const k = t.zeroRun(pmdPa, left);
      t.m.work.charge('visits', k >>> 9);
      if (k >= left) break;
      pmdPa += k * 8;
      left -= k;
      addr = t.advance(3, addr, k);
      continue;
    }
    let v = t.read(pmdPa);
    if (t.none(3, v)) {
      if (has_install) err = __alloc(w, 3, pmdPa, addr);
      else if (ops.pte_hole) err = ops.pte_hole(w, addr, next, depth);
      if (err) break;
      if (!has_install) skip = true;
    }
    if (!skip) {
      w.action = ACTION_SUBTREE as Action;
      if (ops.pmd_entry) err = ops.pmd_entry(w, pmdPa, addr, next);
      if (err) break;
      if (w.action === ACTION_AGAIN) {
        if (++again > againLimit(w)) throw livelock(w, 'pmd_entry');
        continue;
      }
      if (w.action !== ACTION_CONTINUE) {
        if (ops.pmd_entry || has_install) v = t.read(pmdPa);
        let descend = true;
        if (!has_handler) {
          // No handlers for lower page tables; when only installing, keep a present huge page.
          if (!has_install || (t.present(3, v) && t.transHuge(3, v))) descend = false;
        }
        if (descend) {
          if (w.vma) {
            if (split_huge_pmd(w, pmdPa, v, addr)) v = t.read(pmdPa);
          } else if (t.leaf(3, v) || !t.present(3, v)) descend = false;
        }
        if (descend) {
          err = walk_pte_range(w, pmdPa, v, addr, next);
          if (err) break;
          if ((w.action as Action) === ACTION_AGAIN) {
            if (++again > againLimit(w)) throw livelock(w, 'walk_pte_range');
            continue;
          }
        }
      }
    }
    pmdPa += 8; // pmd++
    left--;
    addr = next;
    again = 0;
    if (addr === end) break;
  }
  return err;
}

/** walk_pud_range (:167). */
function walk_pud_range(w: MmWalk, p4dPa: number, addr: U64, end: U64): number {
  const t = w.t;
  const ops = w.ops;
  const has_handler = ops.pmd_entry !== undefined || hasPte(ops);
  const has_install = ops.install_pte !== undefined;
  const depth = t.realDepth(2);
  let err = 0;
  let pudPa = t.offset(2, p4dPa, addr, root(w));
  const fast = !has_install && !ops.pte_hole && quietWhenZero(w, 2);
  let left = t.entries(2, addr, end);
  let again = 0;
  for (;;) {
    t.m.work.charge('visits');
    const next = t.addrEnd(2, addr, end);
    let skip = false;
    if (fast && t.zero(pudPa)) {
      // A run of empty entries, none of which calls anything: skip it at once.
      const k = t.zeroRun(pudPa, left);
      t.m.work.charge('visits', k >>> 9);
      if (k >= left) break;
      pudPa += k * 8;
      left -= k;
      addr = t.advance(2, addr, k);
      continue;
    }
    if (t.none(2, t.read(pudPa))) {
      if (has_install) err = __alloc(w, 2, pudPa, addr);
      else if (ops.pte_hole) err = ops.pte_hole(w, addr, next, depth);
      if (err) break;
      if (!has_install) skip = true;
    }
    if (!skip) {
      w.action = ACTION_SUBTREE as Action;
      if (ops.pud_entry) err = ops.pud_entry(w, pudPa, addr, next);
      if (err) break;
      if (w.action === ACTION_AGAIN) {
        if (++again > againLimit(w)) throw livelock(w, 'pud_entry');
        continue;
      }
      if (w.action !== ACTION_CONTINUE) {
        const v = t.read(pudPa);
        let descend = true;
        if (!has_handler) {
          if (!has_install || (t.present(2, v) && t.transHuge(2, v))) descend = false;
        }
        if (descend) {
          if (w.vma) split_huge_pud(w, pudPa, addr);
          else if (t.leaf(2, v) || !t.present(2, v)) descend = false;
        }
        if (descend) {
          if (t.none(2, t.read(pudPa))) {
            if (++again > againLimit(w)) throw livelock(w, 'split_huge_pud');
            continue; // goto again
          }
          err = walk_pmd_range(w, pudPa, addr, next);
          if (err) break;
        }
      }
    }
    pudPa += 8; // pud++
    left--;
    addr = next;
    again = 0;
    if (addr === end) break;
  }
  return err;
}

/** walk_p4d_range (:232). */
function walk_p4d_range(w: MmWalk, pgdPa: number, addr: U64, end: U64): number {
  const t = w.t;
  const ops = w.ops;
  const has_handler = ops.pud_entry !== undefined || ops.pmd_entry !== undefined || hasPte(ops);
  const has_install = ops.install_pte !== undefined;
  const depth = t.realDepth(1);
  let err = 0;
  let p4dPa = t.offset(1, pgdPa, addr, root(w));
  const fast = !has_install && !ops.pte_hole && quietWhenZero(w, 1);
  let left = t.entries(1, addr, end);
  for (;;) {
    t.m.work.charge('visits');
    const next = t.addrEnd(1, addr, end);
    let skip = false;
    if (fast && t.zero(p4dPa)) {
      // A run of empty entries, none of which calls anything: skip it at once.
      const k = t.zeroRun(p4dPa, left);
      t.m.work.charge('visits', k >>> 9);
      if (k >= left) break;
      p4dPa += k * 8;
      left -= k;
      addr = t.advance(1, addr, k);
      continue;
    }
    if (t.noneOrClearBad(w.tree, 1, p4dPa, addr)) {
      if (has_install) err = __alloc(w, 1, p4dPa, addr);
      else if (ops.pte_hole) err = ops.pte_hole(w, addr, next, depth);
      if (err) break;
      if (!has_install) skip = true;
    }
    if (!skip) {
      if (ops.p4d_entry) {
        err = ops.p4d_entry(w, p4dPa, addr, next);
        if (err) break;
      }
      if (has_handler || has_install) err = walk_pud_range(w, p4dPa, addr, next);
      if (err) break;
    }
    p4dPa += 8; // p4d++
    left--;
    addr = next;
    if (addr === end) break;
  }
  return err;
}

/** walk_pgd_range (:270). */
export function walk_pgd_range(w: MmWalk, start: U64, end: U64): number {
  const t = w.t;
  const ops = w.ops;
  const has_handler =
    ops.p4d_entry !== undefined ||
    ops.pud_entry !== undefined ||
    ops.pmd_entry !== undefined ||
    hasPte(ops);
  const has_install = ops.install_pte !== undefined;
  let err = 0;
  let addr = start;
  let pgdPa = t.offset(0, 0, addr, root(w));
  const fast = !has_install && !ops.pte_hole && quietWhenZero(w, 0);
  let left = t.entries(0, addr, end);
  for (;;) {
    t.m.work.charge('visits');
    const next = t.addrEnd(0, addr, end);
    let skip = false;
    if (fast && t.zero(pgdPa)) {
      // A run of empty entries, none of which calls anything: skip it at once.
      const k = t.zeroRun(pgdPa, left);
      t.m.work.charge('visits', k >>> 9);
      if (k >= left) break;
      pgdPa += k * 8;
      left -= k;
      addr = t.advance(0, addr, k);
      continue;
    }
    if (t.noneOrClearBad(w.tree, 0, pgdPa, addr)) {
      if (has_install) err = __alloc(w, 0, pgdPa, addr);
      else if (ops.pte_hole) err = ops.pte_hole(w, addr, next, 0);
      if (err) break;
      if (!has_install) skip = true;
    }
    if (!skip) {
      if (ops.pgd_entry) {
        err = ops.pgd_entry(w, pgdPa, addr, next);
        if (err) break;
      }
      if (has_handler || has_install) err = walk_p4d_range(w, pgdPa, addr, next);
      if (err) break;
    }
    pgdPa += 8; // pgd++
    left--;
    addr = next;
    if (addr === end) break;
  }
  return err;
}

/**
 * __p4d_alloc / __pud_alloc / __pmd_alloc / __pte_alloc for the entry at chain level c: a zeroed table
 * for the next real level, installed with the arch's pXd_populate (mm/memory.c). A folded level's
 * allocation (pgtable-nop4d.h etc.) is a no-op: the entry is the real one below.
 */
function __alloc(w: MmWalk, c: ChainIndex, pa: number, addr: U64): number {
  const t = w.t;
  if (!t.chain[c]!.last) return 0;
  if (!t.none(c, t.read(pa))) return 0;
  const table = w.t.m.allocTable('/steps');
  t.write(w.tree, c, pa, addr, t.h.upper.populate(BigInt(table), w.initMm));
  return 0;
}

function livelock(w: MmWalk, where: string): VectorFormatError {
  return new VectorFormatError(
    `the walk would repeat ACTION_AGAIN at ${where} forever: more than ${againLimit(w)} repeats of one entry, the most its callbacks can ask for (the kernel would never return)`,
  );
}

/** walk_hugetlb_range (:319): one hugetlb_entry per huge page, pte_hole(-1) where no entry exists. */
function walk_hugetlb_range(w: MmWalk, start: U64, end: U64, hugeptePa: HugePteOffset): number {
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

/** walk_page_test (:362). */
function walk_page_test(w: MmWalk, start: U64, end: U64): number {
  const ops = w.ops;
  if (ops.test_walk) return ops.test_walk(w, start, end);
  if (w.vma!.flags.has('VM_PFNMAP')) {
    let err = 1;
    if (ops.pte_hole) err = ops.pte_hole(w, start, end, -1);
    return err ? err : 1;
  }
  return 0;
}

/** __walk_page_range (:388): post_vma runs whenever pre_vma succeeded, even after a failed walk. */
function __walk_page_range(w: MmWalk, start: U64, end: U64, huge: HugePteOffset): number {
  const ops = w.ops;
  const vma = w.vma!;
  const is_hugetlb = vma.hugetlbShift !== undefined;
  if (ops.install_pte && is_hugetlb) return EINVAL;
  let err = 0;
  if (ops.pre_vma) {
    err = ops.pre_vma(w, start, end);
    if (err) return err;
  }
  if (is_hugetlb) {
    if (ops.hugetlb_entry) err = walk_hugetlb_range(w, start, end, huge);
  } else err = walk_pgd_range(w, start, end);
  if (ops.post_vma) ops.post_vma(w);
  return err;
}

function process_mm_walk_lock(w: MmWalk): void {
  const l = w.ops.walk_lock;
  if (l === 'PGWALK_RDLOCK') mmap_assert_locked(w);
  else if (l !== 'PGWALK_VMA_RDLOCK_VERIFY') mmap_assert_write_locked(w);
}

/**
 * process_vma_walk_lock (:427), CONFIG_PER_VMA_LOCK=y, CONFIG_DEBUG_VM off. PGWALK_WRLOCK:
 * vma_start_write -> __is_vma_write_locked -> mmap_assert_write_locked (include/linux/mmap_lock.h:
 * 206-214, 186-188). PGWALK_WRLOCK_VERIFY's vma_assert_write_locked (:239-244) and
 * PGWALK_VMA_RDLOCK_VERIFY's vma_assert_locked (:246-252) are VM_BUG_ON_VMA, which without
 * CONFIG_DEBUG_VM is BUILD_BUG_ON_INVALID (include/linux/mmdebug.h:121,118): the condition, and the
 * mmap_assert_write_locked inside it, is never evaluated. (With CONFIG_DEBUG_VM it would BUG.)
 */
function process_vma_walk_lock(w: MmWalk): void {
  if (w.ops.walk_lock === 'PGWALK_WRLOCK') mmap_assert_write_locked(w);
}

/** check_ops_safe (:524): install_pte is for mm-internal callers only. */
const check_ops_safe = (ops: WalkCallbacks): boolean => ops.install_pte === undefined;

/** walk_page_range_mm_unsafe (:455). */
export function walk_page_range_mm_unsafe(
  w: MmWalk,
  start: U64,
  end: U64,
  huge: HugePteOffset,
): number {
  if (start >= end) return EINVAL;
  if (!w.mm) return EINVAL;
  process_mm_walk_lock(w);
  const mm = w.mm;
  let vma = find_vma(mm, start);
  let err = 0;
  let next: U64;
  do {
    if (!vma) {
      w.vma = null;
      next = end;
      if (w.ops.pte_hole) err = w.ops.pte_hole(w, start, next, -1);
    } else if (start < vma.start) {
      w.vma = null;
      next = end < vma.start ? end : vma.start;
      if (w.ops.pte_hole) err = w.ops.pte_hole(w, start, next, -1);
    } else {
      process_vma_walk_lock(w);
      w.vma = vma;
      next = end < vma.end ? end : vma.end;
      vma = find_vma(mm, vma.end);
      err = walk_page_test(w, start, next);
      if (err > 0) {
        err = 0;
        start = next;
        continue;
      }
      if (err < 0) break;
      err = __walk_page_range(w, start, next, huge);
    }
    if (err) break;
    start = next;
  } while (start < end);
  return err;
}

/** walk_page_range (:578). */
export function walk_page_range(w: MmWalk, start: U64, end: U64, huge: HugePteOffset): number {
  if (!check_ops_safe(w.ops)) return EINVAL;
  return walk_page_range_mm_unsafe(w, start, end, huge);
}

/** walk_kernel_page_table_range (:606) asserts init_mm's mmap_lock, then the lockless form (:629). */
export function walk_kernel_page_table_range(w: MmWalk, start: U64, end: U64): number {
  mmap_assert_locked(w);
  return walk_kernel_page_table_range_lockless(w, start, end);
}
export function walk_kernel_page_table_range_lockless(w: MmWalk, start: U64, end: U64): number {
  if (start >= end) return EINVAL;
  if (!check_ops_safe(w.ops)) return EINVAL;
  return walk_pgd_range(w, start, end);
}

/** walk_page_range_vma (:717): no test_walk; the range must lie in the VMA. */
export function walk_page_range_vma(w: MmWalk, start: U64, end: U64, huge: HugePteOffset): number {
  const vma = w.vma!;
  if (start >= end || !w.mm) return EINVAL;
  if (start < vma.start || end > vma.end) return EINVAL;
  if (!check_ops_safe(w.ops)) return EINVAL;
  process_mm_walk_lock(w);
  process_vma_walk_lock(w);
  return __walk_page_range(w, start, end, huge);
}

/** walk_page_vma (:727): the whole VMA, no test_walk (pagewalk.h:54-55). */
export function walk_page_vma(w: MmWalk, huge: HugePteOffset): number {
  const vma = w.vma!;
  if (!w.mm) return EINVAL;
  if (!check_ops_safe(w.ops)) return EINVAL;
  process_mm_walk_lock(w);
  process_vma_walk_lock(w);
  return __walk_page_range(w, vma.start, vma.end, huge);
}

/**
 * walk_page_mapping (:777): every VMA of the file over pages [first_index, first_index+nr), in
 * i_mmap order. walk_page_test sees the whole VMA; a skip (> 0) ends the whole walk with 0.
 */
export function walk_page_mapping(
  w: MmWalk,
  file: string,
  first_index: U64,
  nr: U64,
  huge: HugePteOffset,
): number {
  if (!check_ops_safe(w.ops)) return EINVAL;
  const shift = BigInt(w.t.pageShift);
  const page = 1n << shift;
  let err = 0;
  const last = (first_index + nr - 1n) & MASK64;
  for (const vma of i_mmap(w.st, file, first_index, last, page)) {
    const vba = vma.pgoff;
    const vea = vba + ((vma.end - vma.start) >> shift);
    const cba = first_index > vba ? first_index : vba;
    const fe = (first_index + nr) & MASK64;
    const cea = fe < vea ? fe : vea;
    const start_addr = (((cba - vba) << shift) + vma.start) & MASK64;
    const end_addr = (((cea - vba) << shift) + vma.start) & MASK64;
    if (start_addr >= end_addr) continue;
    w.vma = vma;
    w.mm = vma.mm;
    w.tree = vma.mm.tree;
    err = walk_page_test(w, vma.start, vma.end);
    if (err > 0) {
      err = 0;
      break;
    } else if (err < 0) break;
    err = __walk_page_range(w, start_addr, end_addr, huge);
    if (err) break;
  }
  return err;
}
