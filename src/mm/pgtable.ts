// Linux's five-level view of a mode's page tables (include/linux/pgtable.h): the pXd_* helpers the
// walkers use, entry reads and writes through physical memory, and the record of changed entries. Which
// levels are folded, and into which, is pgtable-chain.ts (asm-generic/pgtable-nop4d.h, -nopud.h, -nopmd.h).
//
// A folded level shares its entry with the next real level below it: pXd_offset of a folded level
// returns its parent's pointer, the folded level's none/bad read 0 and present 1, and its addr_end
// uses the real level's shift. The real helpers act on the lowest level of such a group.

import type { U64 } from '../bits/u64.ts';
import type { KernelConfig } from '../config.ts';
import type { Geometry } from '../machine/geometry.ts';
import type { Machine } from '../machine/types.ts';
import type { ChainIndex, LinuxLevel, OpArgs, OpTable, OpValue } from '../ops/types.ts';
import type { ArchUpper } from './arch.ts';
import { ChangeJournal } from './change-journal.ts';
import { CHAIN, layoutOf, type ChainLevel } from './pgtable-chain.ts';

export { CHAIN };
export type { ChainIndex };

export interface EntryChange {
  readonly tree: number;
  readonly level: LinuxLevel;
  readonly addr: U64;
  readonly old: U64;
  new: U64;
  readonly isTable: (v: U64) => boolean;
}

export type ArchPred = (v: U64) => boolean;

/** A PTE never points to a page table. */
const NEVER_TABLE: ArchPred = () => false;

/** The pXd helpers of one arch+mode+config, from the arch's op table and ArchUpper. */
export interface LinuxHelpers {
  readonly upper: ArchUpper;
  readonly table: OpTable;
  readonly config: KernelConfig;
  readonly ctx: Parameters<OpTable[string]>[1];
}

export class LinuxTables {
  readonly chain: readonly ChainLevel[];
  readonly pageShift: number;
  /** Per chain level: the entry size and size - 1 (bigint constants: no allocation in the loops). */
  private readonly sizes: readonly U64[];
  private readonly masks: readonly U64[];
  private readonly aligns: readonly U64[];
  /** Per chain level: the index shift and mask of its table (bigint constants). */
  private readonly indexShifts: readonly U64[];
  private readonly indexMasks: readonly U64[];
  /** PAGE_SHIFT and PAGE_SIZE as bigints. */
  readonly pageShiftN: U64;
  readonly pageSize: U64;
  private readonly p4dFoldedAtCompileTime: boolean;
  /** The journal of changed entries: by entry PA (an open-addressing index), in first-change order. */
  private readonly journal = new ChangeJournal();
  private readonly preds = new Map<string, ArchPred>();

  constructor(
    readonly m: Machine,
    readonly g: Geometry,
    readonly h: LinuxHelpers,
  ) {
    const l = layoutOf(g);
    this.chain = l.chain;
    this.pageShift = l.pageShift;
    this.sizes = l.sizes;
    this.masks = l.masks;
    this.aligns = l.aligns;
    this.indexShifts = l.indexShifts;
    this.indexMasks = l.indexMasks;
    this.pageShiftN = l.pageShiftN;
    this.pageSize = l.pageSize;
    this.p4dFoldedAtCompileTime = l.p4dFoldedAtCompileTime;
  }

  /** The arch file's name of the entry a chain level reads. */
  name(c: ChainIndex): LinuxLevel {
    return this.g.levels[this.chain[c]!.real]!.linux;
  }
  shift(c: ChainIndex): number {
    return this.g.levels[this.chain[c]!.real]!.shift;
  }
  size(c: ChainIndex): U64 {
    return this.sizes[c]!;
  }

  /**
   * real_depth() (mm/pagewalk.c:19-28): folds by PTRS_PER_*, not by folding as such. On x86
   * PTRS_PER_P4D is the run-time ptrs_per_p4d (pgtable_64_types.h:58; 1 without LA57, head64.c:59), so
   * 4-level folds its p4d; riscv's stay 512 in every mode, so it never folds.
   */
  realDepth(d: 1 | 2 | 3): number {
    let depth: number = d;
    if (depth === 3 && this.chain[3]!.ptrsOne) depth = 2;
    if (depth === 2 && this.chain[2]!.ptrsOne) depth = 1;
    if (depth === 1 && this.chain[1]!.ptrsOne) depth = 0;
    return depth;
  }

  /** pXd_addr_end(addr, end) (include/linux/pgtable.h). */
  addrEnd(c: ChainIndex, addr: U64, end: U64): U64 {
    // boundary - 1 is the entry's last byte; `end` is never 0 here (start < end).
    const last = addr | this.masks[c]!;
    return last < end - 1n ? last + 1n : end;
  }

  /** How many entries at chain level c the range [addr, end) touches. */
  entries(c: ChainIndex, addr: U64, end: U64): number {
    const s = this.indexShifts[c]!;
    return Number(((end - 1n) >> s) - (addr >> s)) + 1;
  }

  /** How many zero entries start at `pa` (at most `max`): a run the walker may skip at once. */
  zeroRun(pa: number, max: number): number {
    const mem = this.m.mem;
    let k = 0;
    while (k < max) {
      // Within one 4 KiB frame the words are consecutive in the storage array.
      const at = pa + k * 8;
      const i = mem.index(at);
      if (i < 0) {
        const inFrame = (4096 - (at & 4095)) >>> 3;
        k += Math.min(inFrame, max - k);
        continue;
      }
      const words = mem.words;
      const stop = Math.min(max - k, (4096 - (at & 4095)) >>> 3);
      let j = 0;
      while (j < stop && words[i + 2 * j] === 0 && words[i + 2 * j + 1] === 0) j++;
      k += j;
      if (j < stop) break;
    }
    return k;
  }

  /** The first address of the entry k entries after the one holding `addr`. */
  advance(c: ChainIndex, addr: U64, k: number): U64 {
    return (addr & ~this.masks[c]!) + BigInt(k) * this.sizes[c]!;
  }

  /**
   * A top-down walk of [start, end) under the table at `root`, entry by entry in address order:
   * `below` says of an upper entry (chain level < 4) whether to go down into it; `pte` sees every
   * PTE slot under the entries gone into, none or not (or `run` sees them a table's run at a time).
   */
  descend(
    root: number,
    start: U64,
    end: U64,
    below: (c: ChainIndex, pa: number, addr: U64) => boolean,
    pte: (pa: number, addr: U64) => void,
    run?: (pa0: number, addr0: U64, n: number) => void,
  ): void {
    const level = (c: ChainIndex, parent: number, lo: U64, hi: U64): void => {
      let addr = lo;
      let pa = this.offset(c, parent, addr, root);
      if (c === 4 && run) {
        // The PTE slots of [lo, hi) at once: consecutive in one table.
        const n = this.entries(4, lo, hi);
        this.m.work.charge('visits', n);
        run(pa, lo, n);
        return;
      }
      while (addr < hi) {
        this.m.work.charge('visits');
        const next = this.addrEnd(c, addr, hi);
        if (c === 4) pte(pa, addr);
        else if (below(c, pa, addr)) level((c + 1) as ChainIndex, pa, addr, next);
        if (this.chain[c]!.first || c === 4) pa += 8;
        addr = next;
      }
    };
    level(0, 0, start, end);
  }

  /** The entry at `pa` is zero (every arch's pXd_none holds for it), read as two numbers. */
  zero(pa: number): boolean {
    const mem = this.m.mem;
    return mem.lo(pa) === 0 && mem.hi(pa) === 0;
  }

  /** pgd_offset / pXd_offset: the PA of the entry for `addr` at chain level c under `parent`. */
  offset(c: ChainIndex, parent: number, addr: U64, root: number): number {
    const lv = this.chain[c]!;
    if (!lv.first) return parent;
    const table =
      c === 0 ? root : Number(this.h.upper.tableAddr(this.read(parent), this.pageShift));
    return table + Number((addr >> this.indexShifts[c]!) & this.indexMasks[c]!) * 8;
  }

  /** The entry at `pa`; a re-read of an unchanged entry returns the same bigint (no allocation). */
  read(pa: number): U64 {
    const mem = this.m.mem;
    const i = mem.index(pa);
    const lo = i < 0 ? 0 : mem.words[i]!;
    const hi = i < 0 ? 0 : mem.words[i + 1]!;
    if (pa !== this.lastPa || lo !== this.lastLo || hi !== this.lastHi) {
      this.lastPa = pa;
      this.lastLo = lo;
      this.lastHi = hi;
      this.lastV = hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
    }
    return this.lastV;
  }
  private lastPa = -1;
  private lastLo = 0;
  private lastHi = 0;
  private lastV = 0n;

  /**
   * A store to an entry, recorded as a change of (tree, level, first VA it covers): `addr` plus
   * `pages` pages (a PTE's table base and index, as writeHalves takes them).
   */
  write(tree: number, c: ChainIndex, pa: number, addr: U64, value: U64, pages = 0): void {
    this.writeHalves(tree, c, pa, addr, Number(value & 0xffffffffn), Number(value >> 32n), pages);
  }

  /**
   * write() with the value as two 32-bit halves (no bigint on the walkers' hot paths); the entry's
   * address is `addr` plus `pages` pages (a walker passes its PTE table's base and the index), and
   * a caller that has read the entry may pass its old halves.
   */
  writeHalves(
    tree: number,
    c: ChainIndex,
    pa: number,
    addr: U64,
    lo: number,
    hi: number,
    pages: number,
    oldLo = this.m.mem.lo(pa),
    oldHi = this.m.mem.hi(pa),
  ): void {
    if (this.journal.store(pa, tree, c, addr, pages, oldLo, oldHi, lo, hi))
      this.m.work.charge('changes');
    this.m.mem.writeHalves(pa, lo, hi);
  }

  /**
   * Stores to PTEs of one table frame, as a walker's run makes them (ChangeJournal.storePtes): PTE
   * ks[i], whose halves are words[i0 + 2 ks[i]] and the next in the memory's storage, becomes
   * (lo[i], hi[i]), for i < n.
   */
  writePtes(
    tree: number,
    pa0: number,
    addr: U64,
    j0: number,
    words: Uint32Array,
    i0: number,
    ks: Int32Array,
    lo: Int32Array,
    hi: Int32Array,
    n: number,
  ): void {
    const added = this.journal.storePtes(pa0, tree, addr, j0, words, i0, ks, lo, hi, n);
    this.m.work.charge('changes', added);
    for (let i = 0; i < n; i++) {
      words[i0 + 2 * ks[i]!] = lo[i]!;
      words[i0 + 2 * ks[i]! + 1] = hi[i]!;
    }
  }

  /** writePtes() of the first `n` PTEs from `pa0`, all stored: PTE k becomes (nw[2k], nw[2k + 1]). */
  writeRun(tree: number, pa0: number, addr: U64, j0: number, nw: Int32Array, n: number): void {
    const mem = this.m.mem;
    const i0 = mem.index(pa0);
    const added = this.journal.storeRun(pa0, tree, addr, j0, mem.words, i0, nw, n);
    this.m.work.charge('changes', added);
    mem.words.set(nw.length === 2 * n ? nw : nw.subarray(0, 2 * n), i0);
  }

  /** The chain level whose entry a walk level reads: the first of its group (offset()). */
  chainOf(real: number): ChainIndex {
    let c = 0;
    while (c < 4 && !(this.chain[c]!.first && this.chain[c]!.real === real)) c++;
    return c as ChainIndex;
  }

  /** Record a store to an entry that someone else (the hardware) made, from `old` to `value`. */
  record(tree: number, c: ChainIndex, pa: number, addr: U64, old: U64, value: U64): void {
    const lo = (v: U64) => Number(v & 0xffffffffn);
    const hi = (v: U64) => Number(v >> 32n);
    if (this.journal.store(pa, tree, c, addr, 0, lo(old), hi(old), lo(value), hi(value)))
      this.m.work.charge('changes');
  }

  /** The step is over: the journal empties and leaves its storage to the next step's. */
  release(): void {
    this.journal.release();
  }

  /** The changes of the step, sorted by tree, address, level; unchanged entries dropped; then release(). */
  changed(): EntryChange[] {
    const depth = (l: LinuxLevel) => CHAIN.indexOf(l);
    const out: EntryChange[] = [];
    this.journal.forEach(this.pageSize, (tree, c, addr, old, value) => {
      out.push({
        tree,
        level: this.name(c),
        addr: addr & this.aligns[c]!,
        old,
        new: value,
        isTable: c === 4 ? NEVER_TABLE : (v: U64) => this.isTable(c, v),
      });
    });
    this.release();
    return out.sort(
      (a, b) =>
        a.tree - b.tree ||
        (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0) ||
        depth(a.level) - depth(b.level),
    );
  }

  /** An arch helper of the op table (undefined where the arch has none). */
  op(name: string, a: OpArgs): OpValue | undefined {
    const impl = this.h.table[name];
    return impl ? impl(a, this.h.ctx) : undefined;
  }

  /** A pmd/pud predicate of the op table, remembering its last answer; false where the arch has none. */
  pred(name: string, key: 'pmd' | 'pud'): ArchPred {
    const hit = this.preds.get(name);
    if (hit) return hit;
    const impl = this.h.table[name];
    // The walkers ask about the same entry several times in a row: remember the last answer.
    let lastV = -1n;
    let lastR = false;
    const f: ArchPred = impl
      ? (v) => {
          if (v !== lastV) {
            lastR = impl(key === 'pmd' ? { pmd: v } : { pud: v }, this.h.ctx) === true;
            lastV = v;
          }
          return lastR;
        }
      : () => false;
    this.preds.set(name, f);
    return f;
  }

  // The pXd helpers at chain level c, folded where the level is folded.
  none(c: ChainIndex, v: U64): boolean {
    if (!this.chain[c]!.last) return false;
    if (c === 0) return this.h.upper.pgd_none(v);
    if (c === 1) return this.h.upper.p4d_none(v);
    return this.pred(c === 2 ? 'pud_none' : 'pmd_none', c === 2 ? 'pud' : 'pmd')(v);
  }
  bad(c: ChainIndex, v: U64): boolean {
    if (!this.chain[c]!.last) return false;
    if (c === 0) return this.h.upper.pgd_bad(v);
    if (c === 1) return this.h.upper.p4d_bad(v);
    return this.pred(c === 2 ? 'pud_bad' : 'pmd_bad', c === 2 ? 'pud' : 'pmd')(v);
  }
  present(c: ChainIndex, v: U64): boolean {
    if (!this.chain[c]!.last) return true;
    if (c === 0) return this.h.upper.pgd_present(v);
    if (c === 1) return this.h.upper.p4d_present(v);
    return this.pred(c === 2 ? 'pud_present' : 'pmd_present', c === 2 ? 'pud' : 'pmd')(v);
  }
  leaf(c: 2 | 3, v: U64): boolean {
    if (!this.chain[c]!.last) return false;
    return this.pred(c === 2 ? 'pud_leaf' : 'pmd_leaf', c === 2 ? 'pud' : 'pmd')(v);
  }
  transHuge(c: 2 | 3, v: U64): boolean {
    if (!this.chain[c]!.last) return false;
    return this.pred(c === 2 ? 'pud_trans_huge' : 'pmd_trans_huge', c === 2 ? 'pud' : 'pmd')(v);
  }
  /**
   * A pgd..pmd entry that points to a page table (for the `table` rendering of changes): not a leaf,
   * and its table address is a table frame (the builder's or one the op allocated), bad or not.
   */
  isTable(c: ChainIndex, v: U64): boolean {
    const pa = this.tablePa(c, v);
    return pa !== undefined && this.m.isTableFrame(pa);
  }

  /** Whether `v` at level `c` points to a table a step allocated (written `table` in events). */
  isStepTable(c: ChainIndex, v: U64): boolean {
    const pa = this.tablePa(c, v);
    return pa !== undefined && this.m.isStepTable(pa);
  }

  private tablePa(c: ChainIndex, v: U64): number | undefined {
    if (c === 4 || v === 0n) return undefined;
    let k: number = c;
    while (!this.chain[k]!.last) k++;
    if ((k === 2 || k === 3) && this.leaf(k, v)) return undefined;
    const pa = this.h.upper.tableAddr(v, this.pageShift);
    return pa < 1n << 52n ? Number(pa) : undefined;
  }

  /** pXd_none_or_clear_bad (include/linux/pgtable.h): a bad entry is reported and cleared. */
  noneOrClearBad(tree: number, c: 0 | 1 | 2 | 3, pa: number, addr: U64): boolean {
    const v = this.read(pa);
    if (this.none(c, v)) return true;
    if (this.bad(c, v)) {
      // p4d_clear_bad is an empty macro under __PAGETABLE_P4D_FOLDED (compile-time folding,
      // include/linux/pgtable.h); runtime folding (x86 !LA57, riscv) keeps the real one.
      if (c !== 1 || !this.p4dFoldedAtCompileTime) this.write(tree, c, pa, addr, 0n);
      return true;
    }
    return false;
  }
}
