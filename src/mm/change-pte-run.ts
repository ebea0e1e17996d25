// mm/mprotect.c (Linux v6.19) change_pte_range (:214) over a run of a PTE table's entries on their
// 32-bit halves: the fast path of change_protection (src/mm/change_protection.ts), whose per-PTE rule
// is the reference.

import type { U64 } from '../bits/u64.ts';
import { MM_CP_TRY_CHANGE_WRITABLE } from './mm_cp.ts';
import type { MmuGather } from './mmu_gather.ts';
import type { Vma } from './state.ts';
import { pte_valid_cont } from './arm64-contpte.ts';
import type { FaultEnv } from './vm-fault.ts';

/**
 * What a run does with a PTE of a given flag combination: SLOW (perPte), SKIP, FLAGS (its own PFN
 * bits with the new flag bits `lo`/`hi`) or VALUE (`lo`/`hi` is the new entry). One shape for all.
 */
const SLOW = 0;
const SKIP = 1;
const FLAGS = 2;
const VALUE = 3;
interface Decision {
  readonly kind: number;
  readonly lo: number;
  readonly hi: number;
  readonly flush: boolean;
}
const decision = (kind: number, lo = 0, hi = 0, flush = false): Decision => ({
  kind,
  lo,
  hi,
  flush,
});

// The scratch of a run (one at a time): the new halves by index in the frame (a whole frame's go to
// the journal and table at once), and of the others, their indexes and new halves.
const NW = new Int32Array(1024);
const KS = new Int32Array(512);
const NEW_LO = new Int32Array(512);
const NEW_HI = new Int32Array(512);

/**
 * change_pte_range over a run of PTEs on their 32-bit halves (the model's fast path; `perPte` is the
 * rule). A present PTE's new value is a function of its flag bits (the arch's non-PFN bits), found
 * once per combination by the bigint rule and checked on a second PFN; where it is not (a PFN
 * inverted by a PROT_NONE change, a write upgrade of a private VMA that reads the page), the PTE
 * takes `perPte`. A zero PTE becomes the marker where markers are installed.
 */
export class PteRun {
  private readonly FL: number;
  private readonly FH: number;
  private readonly FLAG_BITS: U64;
  /** The lowest PFN bit of the low half. */
  private readonly pfnBit: U64;
  private readonly pageReads: boolean;
  private readonly cache = new Map<number, Decision>();

  constructor(
    private readonly f: FaultEnv,
    vma: Vma,
    cp_flags: number,
    private readonly present: (oldpte: U64, addr: U64) => U64,
    private readonly marker: U64 | undefined,
  ) {
    this.FL = f.pteFlags.lo | 0;
    this.FH = f.pteFlags.hi | 0;
    this.FLAG_BITS = BigInt(this.FL >>> 0) | (BigInt(this.FH >>> 0) << 32n);
    const nf = ~this.FL;
    this.pfnBit = BigInt((nf & -nf) >>> 0);
    this.pageReads = (cp_flags & MM_CP_TRY_CHANGE_WRITABLE) !== 0 && !vma.flags.has('VM_SHARED');
  }

  private decide(lo: number, hi: number, addr: U64): Decision {
    const { f, present, marker, FLAG_BITS } = this;
    if (lo === 0 && hi === 0)
      return marker === undefined
        ? decision(SKIP)
        : decision(VALUE, Number(marker & 0xffffffffn), Number(marker >> 32n));
    const v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    if (this.pageReads || f.helper('pte_present', { pte: v }) !== true || pte_valid_cont(f.t, v))
      return decision(SLOW);
    const v2 = v ^ this.pfnBit;
    const n1 = present(v, addr);
    const n2 = present(v2, addr);
    const flush = f.arch.pte_needs_flush(f, v, n1);
    if (
      (n1 & FLAG_BITS) !== (n2 & FLAG_BITS) ||
      (n1 & ~FLAG_BITS) !== (v & ~FLAG_BITS) ||
      (n2 & ~FLAG_BITS) !== (v2 & ~FLAG_BITS) ||
      flush !== f.arch.pte_needs_flush(f, v2, n2)
    )
      return decision(SLOW);
    // The new flag bits (the PFN bits of each PTE are its own).
    const lo2 = Number(n1 & 0xffffffffn) & this.FL;
    const hi2 = Number(n1 >> 32n) & this.FH;
    return decision(FLAGS, lo2, hi2, flush);
  }

  run(
    tlb: MmuGather,
    pa0: number,
    addr0: U64,
    n: number,
    perPte: (pa: number, addr: U64) => void,
  ): number {
    const { f, cache, FL, FH } = this;
    const nw = NW;
    const ks = KS;
    const t = f.t;
    const tree = f.mm.tree;
    const mem = f.m.mem;
    const page = t.pageSize;
    // Neighbouring PTEs mostly share their flags: the last decision's, kept in locals (flags that
    // are no PTE's to start; zero flags stand for two keys, a zero PTE and not).
    let keyLo = ~FL;
    let keyHi = 0;
    let keyZero = false;
    let kind = SLOW;
    let setLo = 0;
    let setHi = 0;
    let keepLo = 0;
    let keepHi = 0;
    let flush = false;
    let pages = 0;
    for (let k = 0; k < n;) {
      const pa = pa0 + 8 * k;
      const inFrame = Math.min(n - k, (4096 - (pa & 4095)) >>> 3);
      const i0 = mem.index(pa);
      if (i0 < 0) {
        // Never written: zero PTEs, which take the rule where they change.
        let d = cache.get(-1);
        if (!d) cache.set(-1, (d = this.decide(0, 0, addr0)));
        if (d.kind !== SKIP)
          for (let j = 0; j < inFrame; j++) perPte(pa + 8 * j, addr0 + BigInt(k + j) * page);
        k += inFrame;
        continue;
      }
      const words = mem.words;
      // The changed PTEs: 0..count-1 until a PTE is not (`gap`), then ks[0..count).
      let count = 0;
      let gap = false;
      let jmin = -1;
      let jmax = -1;
      for (let j = 0; j < inFrame;) {
        const lo = words[i0 + 2 * j]!;
        const hi = words[i0 + 2 * j + 1]!;
        if (
          (lo & FL) !== keyLo ||
          (hi & FH) !== keyHi ||
          (keyLo === 0 && keyHi === 0 && (lo === 0 && hi === 0) !== keyZero)
        ) {
          keyLo = lo & FL;
          keyHi = hi & FH;
          keyZero = lo === 0 && hi === 0;
          const key = keyZero ? -1 : keyLo + (keyHi >>> 18) * 0x1000;
          let d = cache.get(key);
          if (!d) cache.set(key, (d = this.decide(lo, hi, addr0 + BigInt(k + j) * page)));
          kind = d.kind;
          setLo = d.lo;
          setHi = d.hi;
          keepLo = kind === FLAGS ? ~FL : 0;
          keepHi = kind === FLAGS ? ~FH : 0;
          flush = d.flush;
        }
        if (kind === SKIP || kind === SLOW) {
          if (!gap) for (let i = 0; i < count; i++) ks[i] = i;
          gap = true;
          if (kind === SLOW) perPte(pa + 8 * j, addr0 + BigInt(k + j) * page);
          j++;
          continue;
        }
        // This PTE and the next ones with its flags (not zero flags: two keys).
        const from = j;
        nw[2 * j] = (lo & keepLo) | setLo;
        nw[2 * j + 1] = (hi & keepHi) | setHi;
        j++;
        if (keyLo !== 0 || keyHi !== 0)
          for (; j < inFrame; j++) {
            const lo = words[i0 + 2 * j]!;
            const hi = words[i0 + 2 * j + 1]!;
            if ((lo & FL) !== keyLo || (hi & FH) !== keyHi) break;
            nw[2 * j] = (lo & keepLo) | setLo;
            nw[2 * j + 1] = (hi & keepHi) | setHi;
          }
        if (!gap) count = j;
        else for (let x = from; x < j; x++) ks[count++] = x;
        if (flush) {
          if (jmin < 0) jmin = from;
          jmax = j - 1;
        }
      }
      if (!gap) {
        if (count) t.writeRun(tree, pa, addr0, k, nw, count);
      } else if (count) {
        for (let i = 0; i < count; i++) {
          NEW_LO[i] = nw[2 * ks[i]!]!;
          NEW_HI[i] = nw[2 * ks[i]! + 1]!;
        }
        t.writePtes(tree, pa, addr0, k, words, i0, ks, NEW_LO, NEW_HI, count);
      }
      if (jmin >= 0) tlb.adjust(addr0 + BigInt(k + jmin) * page, BigInt(jmax - jmin + 1) * page);
      pages += count;
      k += inFrame;
    }
    return pages;
  }
}
