// The changed page-table entries of one step, for the result's `changes` (src/mm/pgtable.ts).

import { MASK64, type U64 } from '../bits/u64.ts';
import type { ChainIndex } from '../ops/types.ts';

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
/**
 * A run's slot (META has RUN): the entries at PA, PA + 8, ... of one frame, at pages PAGES, PAGES + 1,
 * ...; COUNT of them, their old halves (lo, hi each) then their new halves follow the slot.
 */
const RUN = 1 << 28;
const COUNT = 3;

/** The slot storage of a released journal, for the next (fresh pages cost a page fault each). */
let spare: Int32Array<ArrayBuffer> | undefined;
const NO_SLOTS = new Int32Array(0);

/**
 * The changed entries of a step in one typed array, a slot per entry (or per run of a table frame's
 * PTEs first stored together), so that an op that changes many entries (a clean of a million PTEs)
 * makes no object per change until the result is asked for. A bit per entry says which are
 * journalled; the slot of an entry stored twice is found through an index by PA, built on the first
 * repeat (repeats are rare: a fault's store and the hardware's).
 */
export class ChangeJournal {
  /** The slots' length in use. */
  private end = 0;
  private slots: Int32Array<ArrayBuffer>;
  /**
   * An entry's address is bases[BASE] + page * PAGES, modulo 2^64: a walker's PTEs share their
   * table's base and differ by index, so consecutive stores mostly share one base.
   */
  private bases: U64[] = [];
  /** Per 4 KiB frame of entries: a bit per entry, set once journalled. */
  private frames = new Map<number, Int32Array<ArrayBuffer>>();
  private lastFrame = -1;
  /** Read only once lastFrame is a frame: the empty array shared by every journal until then. */
  private lastBits: Int32Array = NO_SLOTS;
  /** By PA: where a journalled entry's new halves are in `slots`. */
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

  /** Where the new halves of a journalled entry are. */
  private slotOf(pa: number): number {
    if (!this.index) {
      const index = (this.index = new Map());
      const s = this.slots;
      for (let o = 0; o < this.end;) {
        const pa0 = ((s[o + META]! >>> 8) & 0xfffff) * 2 ** 32 + (s[o + PA_LO]! >>> 0);
        if ((s[o + META]! & RUN) === 0) {
          index.set(pa0, o + NEW_LO);
          o += STRIDE;
          continue;
        }
        const n = s[o + COUNT]!;
        for (let k = 0; k < n; k++) index.set(pa0 + 8 * k, o + STRIDE + 2 * (n + k));
        o += STRIDE + 4 * n;
      }
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
      const o = this.end;
      if (o + STRIDE > this.slots.length) this.grow(o + STRIDE);
      this.end = o + STRIDE;
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

  /**
   * store() of the `n` PTEs of one table frame from `pa0` (at addr + j0 pages, halves words[i0], ...):
   * PTE k becomes (nw[2k], nw[2k + 1]). None journalled yet (the usual case), they take one slot and
   * their halves are copied at once. Returns how many entries are new.
   */
  storeRun(
    pa0: number,
    tree: number,
    addr: U64,
    j0: number,
    words: Uint32Array,
    i0: number,
    nw: Int32Array,
    n: number,
  ): number {
    const bits = this.frameBits(pa0);
    const e0 = (pa0 & 4095) >>> 3;
    if (this.index || !claim(bits, e0, e0 + n)) {
      let added = 0;
      for (let k = 0; k < n; k++) {
        const old = i0 + 2 * k;
        const lo = nw[2 * k]!;
        const hi = nw[2 * k + 1]!;
        if (this.store(pa0 + 8 * k, tree, 4, addr, j0 + k, words[old]!, words[old + 1]!, lo, hi))
          added++;
      }
      return added;
    }
    const o = this.end;
    const size = STRIDE + 4 * n;
    if (o + size > this.slots.length) this.grow(o + size);
    this.end = o + size;
    const slots = this.slots;
    slots[o + META] = (Math.floor(pa0 / 2 ** 32) << 8) | RUN | (tree << 3) | 4;
    slots[o + PA_LO] = pa0 | 0;
    slots[o + BASE] = this.base(addr);
    slots[o + PAGES] = j0;
    slots[o + COUNT] = n;
    slots.set(words.subarray(i0, i0 + 2 * n), o + STRIDE);
    slots.set(nw.length === 2 * n ? nw : nw.subarray(0, 2 * n), o + STRIDE + 2 * n);
    return n;
  }

  /** Room for `need` slot words: the released storage when it is large enough, else new. */
  private grow(need: number): void {
    need = Math.max(need, 16 * STRIDE, this.slots.length * 4);
    let grown: Int32Array<ArrayBuffer>;
    if (spare && spare.length >= need) {
      grown = spare;
      spare = undefined;
    } else grown = new Int32Array(need);
    grown.set(this.slots.subarray(0, this.end));
    this.slots = grown;
  }

  private update(pa: number, lo: number, hi: number): void {
    const o = this.slotOf(pa);
    this.slots[o] = lo;
    this.slots[o + 1] = hi;
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
    const o = this.end;
    if (o + STRIDE > this.slots.length) this.grow(o + STRIDE);
    this.end = o + STRIDE;
    this.index?.set(pa, o + NEW_LO);
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
    this.end = 0;
    this.bases.length = 0;
    this.frames = new Map();
    this.lastFrame = -1;
    this.index = undefined;
  }

  /**
   * Each journalled entry whose value changed, its address with `page` the size of the pages counted
   * by PAGES (an entry stored back to its old value is left out before any bigint is made of it).
   */
  forEach(
    page: U64,
    f: (tree: number, c: ChainIndex, addr: U64, old: U64, value: U64) => void,
  ): void {
    const s = this.slots;
    const same = (a: number, b: number) => s[a] === s[b] && s[a + 1] === s[b + 1];
    for (let o = 0; o < this.end;) {
      const tree = (s[o + META]! >> 3) & 31;
      const c = (s[o + META]! & 7) as ChainIndex;
      const base = this.bases[s[o + BASE]!]!;
      const n = (s[o + META]! & RUN) === 0 ? 0 : s[o + COUNT]!;
      if (n === 0) {
        if (!same(o + OLD_LO, o + NEW_LO))
          f(
            tree,
            c,
            (base + BigInt(s[o + PAGES]!) * page) & MASK64,
            word(s, o + OLD_LO),
            word(s, o + NEW_LO),
          );
        o += STRIDE;
        continue;
      }
      for (let k = 0; k < n; k++) {
        const old = o + STRIDE + 2 * k;
        const now = o + STRIDE + 2 * (n + k);
        if (same(old, now)) continue;
        const addr = (base + BigInt(s[o + PAGES]! + k) * page) & MASK64;
        f(tree, c, addr, word(s, old), word(s, now));
      }
      o += STRIDE + 4 * n;
    }
  }
}

/** The 64-bit value of halves s[k] (low) and s[k + 1]; one bigint when the high half is zero. */
function word(s: Int32Array, k: number): U64 {
  const hi = s[k + 1]! >>> 0;
  const lo = BigInt(s[k]! >>> 0);
  return hi === 0 ? lo : (BigInt(hi) << 32n) | lo;
}

/** Bits [e, end) of a frame's bitset were all clear: now set. False (and none set) otherwise. */
function claim(bits: Int32Array, e: number, end: number): boolean {
  const w0 = e >>> 5;
  const w1 = (end - 1) >>> 5;
  const first = -1 << (e & 31);
  const last = -1 >>> (31 - ((end - 1) & 31));
  if (w0 === w1) {
    if ((bits[w0]! & first & last) !== 0) return false;
    bits[w0] = bits[w0]! | (first & last);
    return true;
  }
  if ((bits[w0]! & first) !== 0 || (bits[w1]! & last) !== 0) return false;
  for (let w = w0 + 1; w < w1; w++) if (bits[w] !== 0) return false;
  bits[w0] = bits[w0]! | first;
  bits[w1] = bits[w1]! | last;
  for (let w = w0 + 1; w < w1; w++) bits[w] = -1;
  return true;
}
