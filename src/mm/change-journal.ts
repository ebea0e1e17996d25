// The changed page-table entries of one step, for the result's `changes` (src/mm/pgtable.ts).

import { MASK64, type U64 } from '../bits/u64.ts';
import type { ChainIndex } from './pgtable.ts';

/**
 * The changed entries of a step in typed arrays: one slot per entry PA, found through an
 * open-addressing index, so that an op that changes many entries (a clean of a million PTEs) makes
 * no object per change until the result is asked for.
 */
export class ChangeJournal {
  private n = 0;
  private pa = new Float64Array(16);
  private meta = new Uint8Array(16); // tree << 3 | chain level
  private addr = new BigUint64Array(16);
  /** Old and new values as 32-bit halves: [old lo, old hi, new lo, new hi] per slot. */
  private halves = new Uint32Array(64);
  /** Slot + 1 by hash of the PA; 0 is empty. */
  private index = new Int32Array(64);

  private find(pa: number): number {
    const mask = this.index.length - 1;
    // Entries are 8-byte aligned; mix both 32-bit halves of pa / 8 (PAs are below 2^52).
    const q = pa / 8;
    const mixed = Math.imul((q >>> 0) ^ Math.imul((q / 4294967296) >>> 0, 0x85ebca6b), 0x9e3779b1);
    for (let h = mixed & mask; ; h = (h + 1) & mask) {
      const s = this.index[h]!;
      if (s === 0 || this.pa[s - 1] === pa) return h;
    }
  }

  /** Set the new value of a journalled entry; false when the entry is not journalled yet. */
  update(pa: number, lo: number, hi: number): boolean {
    const s = this.index[this.find(pa)]!;
    if (s === 0) return false;
    this.halves[(s - 1) * 4 + 2] = lo;
    this.halves[(s - 1) * 4 + 3] = hi;
    return true;
  }

  add(
    pa: number,
    tree: number,
    c: ChainIndex,
    addr: U64,
    oldLo: number,
    oldHi: number,
    lo: number,
    hi: number,
  ): void {
    if (this.n === this.pa.length) this.grow();
    const i = this.n++;
    this.pa[i] = pa;
    this.meta[i] = (tree << 3) | c;
    this.addr[i] = addr & MASK64;
    const h = this.halves;
    h[i * 4] = oldLo;
    h[i * 4 + 1] = oldHi;
    h[i * 4 + 2] = lo;
    h[i * 4 + 3] = hi;
    this.index[this.find(pa)] = i + 1;
    if (this.n * 2 > this.index.length) this.rehash();
  }

  forEach(f: (tree: number, c: ChainIndex, addr: U64, old: U64, value: U64) => void): void {
    const h = this.halves;
    const v = (k: number) => (BigInt(h[k + 1]!) << 32n) | BigInt(h[k]!);
    for (let i = 0; i < this.n; i++)
      f(
        this.meta[i]! >> 3,
        (this.meta[i]! & 7) as ChainIndex,
        this.addr[i]!,
        v(i * 4),
        v(i * 4 + 2),
      );
  }

  private grow(): void {
    const cap = this.pa.length * 2;
    const more = <T extends Float64Array | Uint8Array | Uint32Array | BigUint64Array>(
      a: T,
      b: T,
    ): T => {
      b.set(a as never);
      return b;
    };
    this.pa = more(this.pa, new Float64Array(cap));
    this.meta = more(this.meta, new Uint8Array(cap));
    this.addr = more(this.addr, new BigUint64Array(cap));
    this.halves = more(this.halves, new Uint32Array(cap * 4));
  }

  private rehash(): void {
    this.index = new Int32Array(this.index.length * 2);
    for (let i = 0; i < this.n; i++) this.index[this.find(this.pa[i]!)] = i + 1;
  }
}
