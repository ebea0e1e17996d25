// The level walkers of mm/pagewalk.c (v6.19): walk_pgd_range (:270) down to walk_pte_range (:62), and
// the page-table allocations install_pte makes on the way (mm/memory.c __p4d_alloc .. __pte_alloc).

import { MASK64, type U64 } from '../bits/u64.ts';
import { UnsupportedError, VectorFormatError } from '../errors.ts';
import { contpte_try_fold } from './arm64-contpte.ts';
import { split_huge_pmd, split_huge_pud } from './huge_memory.ts';
import type { ChainIndex, LinuxTables } from './pgtable.ts';
import {
  ACTION_AGAIN,
  ACTION_CONTINUE,
  ACTION_SUBTREE,
  againLimit,
  ENOMEM,
  type Action,
  type MmWalk,
  type WalkCallbacks,
} from './pagewalk-types.ts';

export const root = (w: MmWalk): number => w.t.m.treeRoot(w.tree);

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
  // mm/pagewalk.c:76: a no_vma walk of init_mm or above TASK_SIZE uses pte_offset_kernel (no checks).
  if (!w.no_vma || (!w.initMm && addr < TASK_SIZE(t))) {
    // pte_offset_map(_lock) -> ___pte_offset_map (mm/pgtable-generic.c:283-306): none, !present and
    // trans_huge PMDs do not map; a bad PMD is cleared (pmd_clear_bad :54: pmd_ERROR, a pr_err that
    // the model does not record, then pmd_clear) and does not map.
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
  // pagewalk.c:36-58 walk_pte_range_inner steps addr by PAGE_SIZE and stops once
  // `addr >= end - PAGE_SIZE`: ceil((end - addr) / PAGE_SIZE) entries, for an unaligned range too.
  const n = Number(((end - addr + page - 1n) & MASK64) >> shift);
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
        // set_pte_at = set_ptes(.., 1) (arm64 pgtable.h:1794: pte_mknoncont, no unfold of a none
        // entry, __set_ptes, contpte_try_fold); update_mmu_cache is not observable here.
        const pte = t.h.upper.set_pte_at(r.pte);
        t.write(w.tree, 4, pa, a, pte);
        contpte_try_fold(w, a, pa, pte);
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

/**
 * TASK_SIZE of a 64-bit task (the model's `current`): x86 TASK_SIZE_MAX (1 << 47 or 56) - PAGE_SIZE
 * (arch/x86/include/asm/page_64.h:94-106), arm64 TASK_SIZE_64 1 << vabits_actual
 * (arch/arm64/include/asm/processor.h:56), riscv TASK_SIZE_64 PGDIR_SIZE * PTRS_PER_PGD / 2
 * (arch/riscv/include/asm/pgtable.h:1221).
 */
function TASK_SIZE(t: LinuxTables): U64 {
  const arch = t.h.ctx.arch;
  const bits = BigInt(arch === 'arm64' ? t.g.vaBits : t.g.vaBits - 1);
  return (1n << bits) - (arch === 'x86_64' ? t.pageSize : 0n);
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
  // p?d_alloc_one() returning NULL: -ENOMEM (mm/memory.c:451-455 __pte_alloc, :6620-6624 __p4d_alloc,
  // :6643-6647 __pud_alloc, :6666-6671 __pmd_alloc), nothing installed.
  const f = w.allocOne;
  if (f && ++f.calls === f.nth) return ENOMEM;
  const table = w.t.m.allocTable('/steps');
  t.write(w.tree, c, pa, addr, t.h.upper.populate(BigInt(table), w.initMm));
  return 0;
}

function livelock(w: MmWalk, where: string): VectorFormatError {
  return new VectorFormatError(
    `the walk would repeat ACTION_AGAIN at ${where} forever: more than ${againLimit(w)} repeats of one entry, the most its callbacks can ask for (the kernel would never return)`,
  );
}
