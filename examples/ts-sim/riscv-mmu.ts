// A riscv64 Sv39/Sv48/Sv57 MMU, from the RISC-V privileged spec's "Virtual Address Translation
// Process" (steps 1-10), Svade/Svadu, Svnapot, Svpbmt, Svrsw60t59b, the address-translation cache
// (a TLB per hart) and SFENCE.VMA. A port of examples/c-impl/riscv_mmu.c.

import type { Memory } from './memory.ts';

export const PAGE_SHIFT = 12n;
export const PAGE_SIZE = 1n << PAGE_SHIFT;
const PTESIZE = 8n;
const TLB_ENTRIES = 64;

// Sv39 PTE: N 63, PBMT 62:61, reserved 60:54, PPN 53:10, RSW 9:8, D A G U X W R V.
export const PTE = { V: 1n, R: 2n, W: 4n, X: 8n, U: 16n, G: 32n, A: 64n, D: 128n } as const;
const PTE_N = 1n << 63n;
const RSV_58_54 = 0x1fn << 54n;
const RSV_60_59 = 0x3n << 59n;
export const PPN_SHIFT = 10n;
export const ppnOf = (pte: bigint): bigint => (pte >> PPN_SHIFT) & ((1n << 44n) - 1n);

/** sstatus.SUM/MXR, menvcfg.ADUE/PBMTE, Svnapot, Svrsw60t59b, and misa.C (IALIGN 16). */
export interface Features {
  SUM: boolean;
  MXR: boolean;
  ADUE: boolean;
  Svnapot: boolean;
  PBMTE: boolean;
  Svrsw60t59b: boolean;
  C: boolean;
}
export const FEATURE_DEFAULTS: Readonly<Features> = {
  SUM: false,
  MXR: false,
  ADUE: false,
  Svnapot: false,
  PBMTE: false,
  Svrsw60t59b: false,
  C: true,
};

export type Access = 'load' | 'store' | 'fetch';
const PAGE_FAULT: Record<Access, number> = { load: 13, store: 15, fetch: 12 };
const ACCESS_FAULT: Record<Access, number> = { load: 5, store: 7, fetch: 1 };

/** A cached leaf: the PTE as read (with the A/D step 9 wrote), tagged with an ASID or global. */
interface TlbEntry {
  level: number;
  vpn: bigint;
  asid: number;
  global: boolean;
  pte: bigint;
  ptePa: bigint;
  ppn: bigint;
}

export class Hart {
  readonly tlb: (TlbEntry | undefined)[] = new Array<TlbEntry | undefined>(TLB_ENTRIES);
  next = 0;
  constructor(
    public root: bigint,
    public asid: number,
    readonly features: Features,
  ) {}
}

/** What an access did, as the schema's AccessResult says it (levels are Linux level names). */
export type Outcome =
  | { kind: 'translated'; pa: bigint; level: number; updates: [bigint, bigint][] }
  | {
      kind: 'fault';
      cls: string;
      level: number | null;
      scause: number;
      updates: [bigint, bigint][];
    };

export class Mmu {
  constructor(
    readonly levels: number,
    readonly mem: Memory,
  ) {}

  private get vaBits(): bigint {
    return PAGE_SHIFT + 9n * BigInt(this.levels);
  }

  /** Linux's name for level i: the top is pgd, then p4d, pud, pmd, pte from Sv57 down. */
  levelName(i: number): string {
    return i === this.levels - 1 ? 'pgd' : (['pte', 'pmd', 'pud', 'p4d'][i] ?? '?');
  }

  canonical(va: bigint): boolean {
    return BigInt.asUintN(64, BigInt.asIntN(Number(this.vaBits), va)) === va;
  }

  vpn(va: bigint, i: number): bigint {
    return (va >> (PAGE_SHIFT + 9n * BigInt(i))) & 0x1ffn;
  }

  /** va[VAW-1 : 12+9i]: the page of a level-i leaf that holds va. */
  private vaPage(va: bigint, i: number): bigint {
    return (va & ((1n << this.vaBits) - 1n)) >> (PAGE_SHIFT + 9n * BigInt(i));
  }

  // The address-translation cache.

  private matches(h: Hart, e: TlbEntry | undefined, va: bigint): e is TlbEntry {
    return e !== undefined && (e.global || e.asid === h.asid) && this.vaPage(va, e.level) === e.vpn;
  }

  private drop(h: Hart, va: bigint): void {
    h.tlb.forEach((e, k) => {
      if (this.matches(h, e, va)) h.tlb[k] = undefined;
    });
  }

  private fill(h: Hart, va: bigint, e: TlbEntry): void {
    this.drop(h, va);
    let slot = h.tlb.findIndex((x) => x === undefined);
    if (slot < 0) slot = h.next++ % TLB_ENTRIES;
    h.tlb[slot] = e;
  }

  /** SFENCE.VMA: rs1 absent = all addresses, else the leaf entries whose page holds it (a
   * non-canonical rs1 has no effect); rs2 absent = every address space, else that ASID but not
   * global entries. */
  sfence(h: Hart, va: bigint | undefined, asid: number | undefined): void {
    if (va !== undefined && !this.canonical(va)) return;
    h.tlb.forEach((e, k) => {
      if (e === undefined) return;
      if (asid !== undefined && (e.global || e.asid !== asid)) return;
      if (va !== undefined && this.vaPage(va, e.level) !== e.vpn) return;
      h.tlb[k] = undefined;
    });
  }

  // Translation.

  /** One access: the fetch alignment and canonical checks, the TLB, else a walk that fills it. */
  translate(h: Hart, va: bigint, acc: Access, user: boolean): Outcome {
    const f = h.features;
    if (acc === 'fetch' && (va & (f.C ? 1n : 3n)) !== 0n)
      return { kind: 'fault', cls: 'alignment', level: null, scause: 0, updates: [] };
    if (!this.canonical(va)) return pageFault(acc, 'non-canonical', null, []);
    const e = h.tlb.find((x) => this.matches(h, x, va));
    if (e) {
      // A cached leaf satisfies step 2; steps 3-5 held when it was cached.
      if (!leafAllows(e.pte, acc, user, f)) return pageFault(acc, 'permission', e.level, []);
      if (!needsAd(e.pte, acc)) return this.complete(va, acc, e.ppn, e.level, []);
      if (!f.ADUE) return pageFault(acc, adClass(e.pte), e.level, []);
      // "The address-translation cache cannot be used in step 9": compare with memory; on a
      // mismatch return to step 2, which then reads memory.
      if (this.mem.compareAndSwap(e.ptePa, e.pte, withAd(e.pte, acc))) {
        e.pte = withAd(e.pte, acc);
        return this.complete(va, acc, e.ppn, e.level, [[e.ptePa, e.pte]]);
      }
      this.drop(h, va);
    }
    return this.walk(h, va, acc, user);
  }

  /** Steps 2-10 with every PTE read from memory; a walk that reaches step 10 fills the TLB. */
  private walk(h: Hart, va: bigint, acc: Access, user: boolean): Outcome {
    const f = h.features;
    let a = h.root;
    let i = this.levels - 1;
    let global = false;
    let pte: bigint;
    let ptePa: bigint;
    for (;;) {
      // Step 2: a PTE read outside memory violates a PMA, named by the entry that pointed there.
      ptePa = a + this.vpn(va, i) * PTESIZE;
      if (!this.mem.contains(ptePa, PTESIZE))
        return accessFault(acc, i === this.levels - 1 ? null : i + 1, []);
      pte = this.mem.read64(ptePa);
      if ((pte & PTE.V) === 0n) return pageFault(acc, 'translation', i, []);
      if (reserved(pte, i, f)) return pageFault(acc, 'reserved', i, []);
      global ||= (pte & PTE.G) !== 0n;
      // Step 4: R or X makes a leaf; otherwise a pointer, which level 0 cannot hold.
      if ((pte & (PTE.R | PTE.X)) !== 0n) break;
      if (i === 0) return pageFault(acc, 'translation', i, []);
      i--;
      a = ppnOf(pte) << PAGE_SHIFT;
    }
    // Step 5: a misaligned superpage.
    if (i > 0 && (ppnOf(pte) & ((1n << BigInt(9 * i)) - 1n)) !== 0n)
      return pageFault(acc, 'misaligned', i, []);
    if (!leafAllows(pte, acc, user, f)) return pageFault(acc, 'permission', i, []);
    // Step 9: Svade faults; Svadu sets A, and D for a store, atomically.
    const updates: [bigint, bigint][] = [];
    if (needsAd(pte, acc)) {
      if (!f.ADUE) return pageFault(acc, adClass(pte), i, []);
      if (this.mem.compareAndSwap(ptePa, pte, withAd(pte, acc))) {
        pte = withAd(pte, acc);
        updates.push([ptePa, pte]);
      }
    }
    // Step 10; Svnapot: ppn[0][3:0] is replaced by vpn[0][3:0].
    let ppn = ppnOf(pte);
    if ((pte & PTE_N) !== 0n) ppn = (ppn & ~0xfn) | (this.vpn(va, 0) & 0xfn);
    const out = this.complete(va, acc, ppn, i, updates);
    this.fill(h, va, { level: i, vpn: this.vaPage(va, i), asid: h.asid, global, pte, ptePa, ppn });
    return out;
  }

  /** Step 10, then the PMA check of the access itself (an access fault at the leaf's level). */
  private complete(
    va: bigint,
    acc: Access,
    ppn: bigint,
    i: number,
    updates: [bigint, bigint][],
  ): Outcome {
    const offset = (1n << (PAGE_SHIFT + 9n * BigInt(i))) - 1n;
    const pa = ((ppn << PAGE_SHIFT) & ~offset) | (va & offset);
    if (!this.mem.contains(pa, 1n)) return accessFault(acc, i, updates);
    return { kind: 'translated', pa, level: i, updates };
  }
}

const pageFault = (acc: Access, cls: string, level: number | null, u: [bigint, bigint][]) =>
  ({ kind: 'fault', cls, level, scause: PAGE_FAULT[acc], updates: u }) as const;
const accessFault = (acc: Access, level: number | null, u: [bigint, bigint][]) =>
  ({ kind: 'fault', cls: 'access', level, scause: ACCESS_FAULT[acc], updates: u }) as const;

/** Step 3: "pte.r = 0 and pte.w = 1, or any bits or encodings that are reserved". */
function reserved(pte: bigint, i: number, f: Features): boolean {
  const leaf = (pte & (PTE.R | PTE.X)) !== 0n;
  const pbmt = (pte >> 61n) & 3n;
  if ((pte & PTE.R) === 0n && (pte & PTE.W) !== 0n) return true;
  if ((pte & RSV_58_54) !== 0n) return true;
  if ((pte & RSV_60_59) !== 0n && !f.Svrsw60t59b) return true;
  // For a pointer, D, A and U are reserved, and so are N and PBMT.
  if (!leaf) return (pte & (PTE.D | PTE.A | PTE.U | PTE_N)) !== 0n || pbmt !== 0n;
  if (pbmt === 3n || (pbmt !== 0n && !f.PBMTE)) return true;
  // Svnapot: only a level-0 leaf with ppn[3:0] = 1000 (64 KiB); without Svnapot N is reserved.
  return (pte & PTE_N) !== 0n && (!f.Svnapot || i !== 0 || (ppnOf(pte) & 0xfn) !== 0x8n);
}

/** Steps 6 (U against the privilege, SUM) and 8 (R/W/X against the access, MXR). */
function leafAllows(pte: bigint, acc: Access, user: boolean, f: Features): boolean {
  const u = (pte & PTE.U) !== 0n;
  if (user ? !u : u && (acc === 'fetch' || !f.SUM)) return false;
  if (acc === 'load') return (pte & PTE.R) !== 0n || (f.MXR && (pte & PTE.X) !== 0n);
  return (pte & (acc === 'store' ? PTE.W : PTE.X)) !== 0n;
}

const needsAd = (pte: bigint, acc: Access): boolean =>
  (pte & PTE.A) === 0n || (acc === 'store' && (pte & PTE.D) === 0n);
const withAd = (pte: bigint, acc: Access): bigint => pte | PTE.A | (acc === 'store' ? PTE.D : 0n);
const adClass = (pte: bigint): string => ((pte & PTE.A) !== 0n ? 'dirty' : 'access-flag');
