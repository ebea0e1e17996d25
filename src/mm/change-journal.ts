// The changed page-table entries of one step, for the result's `changes` (src/mm/pgtable.ts).

import { MASK64, type U64 } from '../bits/u64.ts';
import type { ChainIndex } from './pgtable.ts';

/** Per slot, in one Int32Array: */
const META = 0; // the entry PA's high half << 8 | tree << 3 | chain level
const PA_LO = 7; // the entry PA's low half
const BASE = 1; // index in `bases`
const PAGES = 2; // pages above the base
const OLD_LO = 3;
const OLD_HI = 4;
const NEW_LO = 5;
const NEW_HI = 6;
const STRIDE = 8;

/** The slot storage of a released journal, for the next (fresh pages cost a page fault each). */
let spare: Int32Array<ArrayBuffer> | undefined;
const NO_SLOTS = new Int32Array(0);

/**
 * The changed entries of a step in one typed array, a slot per entry, so that an op that changes many
 * entries (a clean of a million PTEs) makes no object per change until the result is asked for. A
 * bit per entry says which are journalled; the slot of an entry stored twice is found through an
 * index by PA, built on the first repeat (repeats are rare: a fault's store and the hardware's).
 */
export class ChangeJournal {
  private n = 0;
  private slots: Int32Array<ArrayBuffer>;
  /**
   * An entry's address is bases[BASE] + page * PAGES, modulo 2^64: a walker's PTEs share their
   * table's base and differ by index, so consecutive stores mostly share one base.
   */
  private bases: U64[] = [];
  /** Per 4 KiB frame of entries: a bit per entry, set once journalled. */
  private frames = new Map<number, Int32Array<ArrayBuffer>>();
  private lastFrame = -1;
  private lastBits = new Int32Array(0);
  private index: Map<number, number> | undefined;

  constructor() {
    this.slots = spare ?? new Int32Array(16 * STRIDE);
    spare = undefined;
  }

  /** The journalled-bits of the frame holding `pa` (entries are 8-byte aligned). */
  private frameBits(pa: number): Int32Array {
    const f = Math.floor(pa / 4096);
    if (f === this.lastFrame) return this.lastBits;
    let bits = this.frames.get(f);
    if (!bits) this.frames.set(f, (bits = new Int32Array(16)));
    this.lastFrame = f;
    this.lastBits = bits;
    return bits;
  }

  private pa(i: number): number {
    const s = this.slots;
    return (s[i * STRIDE + META]! >>> 8) * 2 ** 32 + (s[i * STRIDE + PA_LO]! >>> 0);
  }

  /** The slot of a journalled entry. */
  private slotOf(pa: number): number {
    if (!this.index) {
      this.index = new Map();
      for (let i = 0; i < this.n; i++) this.index.set(this.pa(i), i);
    }
    return this.index.get(pa)!;
  }

  /**
   * Journal a store of (lo, hi) over (oldLo, oldHi) to the entry at `pa`: the first store of the step
   * keeps the old value; later ones replace the new value. True when the entry is new.
   */
  store(
    pa: number,
    tree: number,
    c: ChainIndex,
    addr: U64,
    pages: number,
    oldLo: number,
    oldHi: number,
    lo: number,
    hi: number,
  ): boolean {
    const bits = this.frameBits(pa);
    const e = (pa & 4095) >>> 3;
    if ((bits[e >>> 5]! & (1 << (e & 31))) !== 0) {
      this.update(pa, lo, hi);
      return false;
    }
    bits[e >>> 5] = bits[e >>> 5]! | (1 << (e & 31));
    this.append(pa, (tree << 3) | c, this.base(addr), pages, oldLo, oldHi, lo, hi);
    return true;
  }

  /**
   * store() of PTEs of one table frame, as a walker's run makes them: PTE ks[i] (at pa0 + 8 ks[i],
   * addr + (j0 + ks[i]) pages), whose halves are words[i0 + 2 ks[i]] and the next, becomes
   * (lo[i], hi[i]), for i < n. Returns how many entries are new.
   */
  storePtes(
    pa0: number,
    tree: number,
    addr: U64,
    j0: number,
    words: Uint32Array,
    i0: number,
    ks: Int32Array,
    lo: Int32Array,
    hi: Int32Array,
    n: number,
  ): number {
    const bits = this.frameBits(pa0);
    const e0 = (pa0 & 4095) >>> 3;
    // The slot's fields shared by the run's PTEs (append's, inline).
    const meta = (Math.floor(pa0 / 2 ** 32) << 8) | (tree << 3) | 4;
    const paLo = pa0 | 0;
    const base = this.base(addr);
    let added = 0;
    for (let i = 0; i < n; i++) {
      const k = ks[i]!;
      const e = e0 + k;
      if ((bits[e >>> 5]! & (1 << (e & 31))) !== 0) {
        this.update(pa0 + 8 * k, lo[i]!, hi[i]!);
        continue;
      }
      bits[e >>> 5] = bits[e >>> 5]! | (1 << (e & 31));
      if (this.index) {
        this.append(
          pa0 + 8 * k,
          (tree << 3) | 4,
          base,
          j0 + k,
          words[i0 + 2 * k]!,
          words[i0 + 2 * k + 1]!,
          lo[i]!,
          hi[i]!,
        );
        added++;
        continue;
      }
      const s = this.n++;
      if (s * STRIDE === this.slots.length) this.grow();
      const o = s * STRIDE;
      const slots = this.slots;
      slots[o + META] = meta;
      slots[o + PA_LO] = paLo + 8 * k;
      slots[o + BASE] = base;
      slots[o + PAGES] = j0 + k;
      slots[o + OLD_LO] = words[i0 + 2 * k]!;
      slots[o + OLD_HI] = words[i0 + 2 * k + 1]!;
      slots[o + NEW_LO] = lo[i]!;
      slots[o + NEW_HI] = hi[i]!;
      added++;
    }
    return added;
  }

  /** More slots: the released storage when it is larger, else new. */
  private grow(): void {
    const need = Math.max(16 * STRIDE, this.slots.length * 4);
    let grown: Int32Array<ArrayBuffer>;
    if (spare && spare.length >= need) {
      grown = spare;
      spare = undefined;
    } else grown = new Int32Array(need);
    grown.set(this.slots);
    this.slots = grown;
  }

  private update(pa: number, lo: number, hi: number): void {
    const o = this.slotOf(pa) * STRIDE;
    this.slots[o + NEW_LO] = lo;
    this.slots[o + NEW_HI] = hi;
  }

  /** The index in `bases` of `addr` (consecutive stores mostly share it). */
  private base(addr: U64): number {
    const bases = this.bases;
    if (bases.length === 0 || bases[bases.length - 1] !== addr) bases.push(addr);
    return bases.length - 1;
  }

  private append(
    pa: number,
    meta: number,
    base: number,
    pages: number,
    oldLo: number,
    oldHi: number,
    lo: number,
    hi: number,
  ): void {
    const i = this.n++;
    if (i * STRIDE === this.slots.length) this.grow();
    this.index?.set(pa, i);
    const o = i * STRIDE;
    const slots = this.slots;
    // PAs are below 2^52: the high half fits in 20 bits.
    slots[o + META] = (Math.floor(pa / 2 ** 32) << 8) | meta;
    slots[o + PA_LO] = pa | 0;
    slots[o + BASE] = base;
    slots[o + PAGES] = pages;
    slots[o + OLD_LO] = oldLo;
    slots[o + OLD_HI] = oldHi;
    slots[o + NEW_LO] = lo;
    slots[o + NEW_HI] = hi;
  }

  /** Empty the journal and leave its storage to the next one. */
  release(): void {
    if (!spare || spare.length < this.slots.length) spare = this.slots;
    this.slots = NO_SLOTS;
    this.n = 0;
    this.bases = [];
    this.frames = new Map();
    this.lastFrame = -1;
    this.index = undefined;
  }

  /** Each journalled entry, its address with `page` the size of the pages counted by PAGES. */
  forEach(
    page: U64,
    f: (tree: number, c: ChainIndex, addr: U64, old: U64, value: U64) => void,
  ): void {
    const s = this.slots;
    const v = (k: number) => (BigInt(s[k + 1]! >>> 0) << 32n) | BigInt(s[k]! >>> 0);
    for (let o = 0; o < this.n * STRIDE; o += STRIDE)
      f(
        (s[o + META]! >> 3) & 31,
        (s[o + META]! & 7) as ChainIndex,
        (this.bases[s[o + BASE]!]! + BigInt(s[o + PAGES]!) * page) & MASK64,
        v(o + OLD_LO),
        v(o + NEW_LO),
      );
  }
}
