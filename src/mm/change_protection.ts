// mm/mprotect.c (Linux v6.19) change_protection (:633) over PTE tables: change_protection_range and
// change_p4d/pud/pmd_range (:451-631: the tables populated where userfaultfd markers need them) and
// change_pte_range (:214) for every PTE state, with MM_CP_TRY_CHANGE_WRITABLE, MM_CP_UFFD_WP and
// MM_CP_UFFD_WP_RESOLVE; the mmu_gather that collects the flushes. A huge PUD or PMD is unsupported.

import { MASK64, type U64 } from '../bits/u64.ts';
import { UnsupportedError, VectorFormatError } from '../errors.ts';
import type { OpArgs, OpValue } from '../ops/types.ts';
import type { ChainIndex } from './pgtable.ts';
import type { Vma } from './state.ts';
import { userfaultfd_wp_use_markers } from './userfaultfd_k.ts';
import { flushRange, pXd_alloc, softleaf_to_pfn, type FaultEnv } from './vm-fault.ts';
import { userfaultfd_wp, vma_soft_dirty_enabled, type VmaEnv } from './vma.ts';

/** The arch's PTE helpers the decision reads. */
export type PteHelper = (name: string, a: OpArgs) => OpValue | undefined;

const is = (pte: PteHelper, name: string, v: U64): boolean => pte(name, { pte: v }) === true;

/** mm/internal.h:1564. */
export const pte_needs_soft_dirty_wp = (e: VmaEnv, pte: PteHelper, vma: Vma, v: U64): boolean =>
  vma_soft_dirty_enabled(e, vma) && !is(pte, 'pte_soft_dirty', v);

/** include/linux/userfaultfd_k.h userfaultfd_pte_wp. */
const userfaultfd_pte_wp = (e: VmaEnv, pte: PteHelper, vma: Vma, v: U64): boolean =>
  userfaultfd_wp(e, vma) && is(pte, 'pte_uffd_wp', v);

/** :41. The WARN_ON_ONCE for a VMA without VM_WRITE is a caller's bug: a format error here. */
function maybe_change_pte_writable(e: VmaEnv, pte: PteHelper, vma: Vma, v: U64): boolean {
  if (!vma.flags.has('VM_WRITE'))
    throw new VectorFormatError(
      'can_change_pte_writable is for a VM_WRITE VMA (mm/mprotect.c:43 WARNs otherwise)',
      '/args/vma',
    );
  if (is(pte, 'pte_protnone', v)) return false;
  if (pte_needs_soft_dirty_wp(e, pte, vma, v)) return false;
  if (userfaultfd_pte_wp(e, pte, vma, v)) return false;
  return true;
}

/**
 * mm/memory.c:683 __vm_normal_page for a PTE, with CONFIG_ARCH_HAS_PTE_SPECIAL (all three arches) and
 * no vm_ops->find_normal_page: a special PTE, or a PFN beyond highest_memmap_pfn, has no page.
 */
function vm_normal_page(e: VmaEnv, pte: PteHelper, v: U64): U64 | null {
  if (is(pte, 'pte_special', v)) return null;
  const pfn = pte('pte_pfn', { value: v }) as U64;
  return pfn > e.st.highestPfn ? null : pfn;
}

/** :98 can_change_pte_writable, with :62 (private) and :80 (shared). */
export function can_change_pte_writable(
  e: VmaEnv,
  pte: PteHelper,
  vma: Vma,
  addr: U64,
  v: U64,
): boolean {
  if (addr < vma.start || addr >= vma.end)
    throw new VectorFormatError('expected an address inside the VMA', '/args/addr');
  if (!maybe_change_pte_writable(e, pte, vma, v)) return false;
  if (vma.flags.has('VM_SHARED')) return is(pte, 'pte_dirty', v);
  // Writable MAP_PRIVATE: only an exclusive anonymous page, as the write-fault handler would reuse.
  const pfn = vm_normal_page(e, pte, v);
  const page = pfn === null ? undefined : e.st.pages.get(pfn);
  return pfn !== null && (page?.anon ?? false) && (page?.exclusive ?? false);
}

/** include/linux/mm.h:2821-2828. */
export const MM_CP_TRY_CHANGE_WRITABLE = 1 << 0;
export const MM_CP_UFFD_WP = 1 << 2;
export const MM_CP_UFFD_WP_RESOLVE = 1 << 3;

/** PTE_MARKER_UFFD_WP (include/linux/swapops.h:283). */
const PTE_MARKER_UFFD_WP = 1;

/**
 * struct mmu_gather as change_protection uses it (include/asm-generic/tlb.h): the range of the PTEs
 * that need a flush, flushed at tlb_end_vma (unless the arch selects MMU_GATHER_MERGE_VMAS) and at
 * tlb_finish_mmu, as one `tlb_flush` event reaching the CPUs running the mm.
 */
export class MmuGather {
  private start = MASK64;
  private end = 0n;
  constructor(private readonly f: FaultEnv) {}
  /** tlb_flush_pte_range. */
  adjust(addr: U64, size: U64): void {
    if (addr < this.start) this.start = addr;
    if (addr + size > this.end) this.end = addr + size;
  }
  /** tlb_flush_mmu_tlbonly: nothing when nothing was gathered. */
  flush(): void {
    if (this.end === 0n) return;
    flushRange(this.f, 'tlb_flush', this.start, this.end);
    this.start = MASK64;
    this.end = 0n;
  }
  endVma(): void {
    if (!this.f.arch.mmu_gather_merge_vmas) this.flush();
  }
  finish(): void {
    this.flush();
  }
}

/**
 * Every PTE slot under the tables of [start, end) in the mm's tree, none or not; with `populate`
 * (change_prepare / change_pmd_prepare) a none entry above first gets a new table.
 */
export function eachPte(
  f: FaultEnv,
  start: U64,
  end: U64,
  cb: (pa: number, addr: U64) => void,
  populate = false,
  run?: (pa0: number, addr0: U64, n: number) => void,
): void {
  const t = f.t;
  const below = (c: ChainIndex, pa: number, addr: U64): boolean => {
    if (populate) pXd_alloc(f, c, pa, addr);
    const v = t.read(pa);
    if ((c === 2 || c === 3) && t.leaf(c, v))
      throw new UnsupportedError('change_protection of a huge PUD or PMD is not modelled');
    return !(t.chain[c]!.last && (t.none(c, v) || !t.present(c, v)));
  };
  t.descend(f.m.treeRoot(f.mm.tree), start, end, below, cb, run);
}

const test = (f: FaultEnv, name: string, a: Record<string, U64>): boolean =>
  f.helper(name, a) === true;
const apply = (f: FaultEnv, name: string, v: U64): U64 => f.helper(name, { pte: v }) as U64;

/**
 * :323 a writable migration entry made readable: READ_EXCLUSIVE for an anonymous folio, READ
 * otherwise (include/linux/swap.h: SWP_MIGRATION_READ, _READ_EXCLUSIVE, _WRITE are consecutive), the
 * offset kept, the swp soft-dirty bit kept.
 */
function migrationReadable(f: FaultEnv, entry: U64, oldpte: U64): U64 {
  const offset = f.helper('swp_offset', { entry }) as U64;
  const type = f.helper('swp_type', { entry }) as number;
  const anon = f.st.pages.get(softleaf_to_pfn(f, entry))?.anon ?? false;
  const readable = f.helper('swp_entry', { type: type - (anon ? 1 : 2), offset }) as U64;
  let newpte = f.helper('swp_entry_to_pte', { entry: readable }) as U64;
  if (test(f, 'pte_swp_soft_dirty', { pte: oldpte }))
    newpte = apply(f, 'pte_swp_mksoft_dirty', newpte);
  return newpte;
}

/** :337 a writable device-private entry becomes readable, its uffd-wp bit kept, not its soft-dirty. */
function devicePrivateReadable(f: FaultEnv, entry: U64, oldpte: U64): U64 {
  const offset = f.helper('swp_offset', { entry }) as U64;
  const type = f.helper('swp_type', { entry }) as number;
  // make_readable_device_private_entry: SWP_DEVICE_READ follows SWP_DEVICE_WRITE (swapops.h).
  const readable = f.helper('swp_entry', { type: type + 1, offset }) as U64;
  const newpte = f.helper('swp_entry_to_pte', { entry: readable }) as U64;
  return test(f, 'pte_swp_uffd_wp', { pte: oldpte })
    ? apply(f, 'pte_swp_mkuffd_wp', newpte)
    : newpte;
}

/** :633 change_protection of [start, end) of a VMA: the PTEs it changed (`pages`). */
export function change_protection(
  f: FaultEnv,
  e: VmaEnv,
  tlb: MmuGather,
  vma: Vma,
  start: U64,
  end: U64,
  cp_flags: number,
): number {
  const newprot = f.vmPageProt(vma);
  const uffd_wp = (cp_flags & MM_CP_UFFD_WP) !== 0;
  const uffd_wp_resolve = (cp_flags & MM_CP_UFFD_WP_RESOLVE) !== 0;
  const helper = (name: string, a: Parameters<FaultEnv['helper']>[1]) => f.helper(name, a);
  // :408 pgtable_populate_needed.
  const populate = uffd_wp && userfaultfd_wp_use_markers(vma);
  const marker = () => f.helper('make_pte_marker', { marker: PTE_MARKER_UFFD_WP }) as U64;
  let pages = 0;
  const set = (pa: number, addr: U64, v: U64) => f.t.write(f.mm.tree, 4, pa, addr, v);
  /** :240-297 the new value of a present PTE. */
  const present = (oldpte: U64, addr: U64): U64 => {
    let ptent = f.helper('pte_modify', { value: oldpte, prot: newprot }) as U64;
    if (uffd_wp) ptent = apply(f, 'pte_mkuffd_wp', ptent);
    else if (uffd_wp_resolve) ptent = apply(f, 'pte_clear_uffd_wp', ptent);
    if (cp_flags & MM_CP_TRY_CHANGE_WRITABLE && !test(f, 'pte_write', { pte: ptent })) {
      if (can_change_pte_writable(e, helper, vma, addr, ptent))
        ptent = f.helper('pte_mkwrite', { pte: ptent, vmFlags: vma.flags }) as U64;
    }
    return ptent;
  };
  const perPte = (pa: number, addr: U64) => {
    const oldpte = f.t.read(pa);
    if (test(f, 'pte_present', { pte: oldpte })) {
      const ptent = present(oldpte, addr);
      // modify_prot_start_ptes / modify_prot_commit_ptes: the value read is the one replaced.
      set(pa, addr, ptent);
      if (f.arch.pte_needs_flush(f, oldpte, ptent)) tlb.adjust(addr, f.t.pageSize);
      pages++;
    } else if (test(f, 'pte_none', { pte: oldpte })) {
      // :300 nobody plays with none PTEs besides userfaultfd.
      if (!uffd_wp) return;
      if (userfaultfd_wp_use_markers(vma)) {
        set(pa, addr, marker());
        pages++;
      }
    } else {
      const entry = f.helper('softleaf_from_pte', { pte: oldpte }) as U64;
      const type = f.helper('softleaf_type', { entry }) as string;
      let newpte = oldpte;
      if (type === 'SOFTLEAF_DEVICE_PRIVATE_WRITE')
        newpte = devicePrivateReadable(f, entry, oldpte);
      if (type === 'SOFTLEAF_MIGRATION_WRITE') newpte = migrationReadable(f, entry, oldpte);
      if (type === 'SOFTLEAF_MARKER') {
        // :348 poison and guard markers stay; a uffd-wp marker is dropped on resolve.
        if (test(f, 'softleaf_is_poison_marker', { entry })) return;
        if (test(f, 'softleaf_is_guard_marker', { entry })) return;
        if (uffd_wp_resolve) {
          set(pa, addr, 0n);
          pages++;
        }
        return;
      }
      if (uffd_wp) newpte = apply(f, 'pte_swp_mkuffd_wp', newpte);
      else if (uffd_wp_resolve) newpte = apply(f, 'pte_swp_clear_uffd_wp', newpte);
      if (newpte !== oldpte) {
        set(pa, addr, newpte);
        pages++;
      }
    }
  };
  const fast = fastPtes(f, vma, cp_flags, present, populate ? marker() : undefined);
  eachPte(f, start, end, perPte, populate, (pa0, addr0, n) => {
    pages += fast(tlb, pa0, addr0, n, perPte);
  });
  return pages;
}

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

/**
 * change_pte_range over a run of PTEs on their 32-bit halves (the model's fast path; `perPte` is the
 * rule). A present PTE's new value is a function of its flag bits (the arch's non-PFN bits), found
 * once per combination by the bigint rule and checked on a second PFN; where it is not (a PFN
 * inverted by a PROT_NONE change, a write upgrade of a private VMA that reads the page), the PTE
 * takes `perPte`. A zero PTE becomes the marker where markers are installed.
 */
function fastPtes(
  f: FaultEnv,
  vma: Vma,
  cp_flags: number,
  present: (oldpte: U64, addr: U64) => U64,
  marker: U64 | undefined,
): (
  tlb: MmuGather,
  pa0: number,
  addr0: U64,
  n: number,
  perPte: (pa: number, addr: U64) => void,
) => number {
  const FL = f.pteFlags.lo | 0;
  const FH = f.pteFlags.hi | 0;
  const FLAG_BITS = BigInt(FL >>> 0) | (BigInt(FH >>> 0) << 32n);
  const nf = ~FL;
  const pfnBit = BigInt((nf & -nf) >>> 0); // the lowest PFN bit of the low half
  const pageReads = cp_flags & MM_CP_TRY_CHANGE_WRITABLE && !vma.flags.has('VM_SHARED');
  const cache = new Map<number, Decision>();
  const decide = (lo: number, hi: number, addr: U64): Decision => {
    if (lo === 0 && hi === 0)
      return marker === undefined
        ? decision(SKIP)
        : decision(VALUE, Number(marker & 0xffffffffn), Number(marker >> 32n));
    const v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    if (pageReads || !test(f, 'pte_present', { pte: v })) return decision(SLOW);
    const v2 = v ^ pfnBit;
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
    const lo2 = Number(n1 & 0xffffffffn) & FL;
    const hi2 = Number(n1 >> 32n) & FH;
    return decision(FLAGS, lo2, hi2, flush);
  };
  const ks = new Int32Array(512);
  const newLo = new Int32Array(512);
  const newHi = new Int32Array(512);
  // Neighbouring PTEs mostly share their flags: the last decision first.
  let lastKey = NaN;
  let last = decision(SLOW);
  return (tlb, pa0, addr0, n, perPte) => {
    const t = f.t;
    const mem = f.m.mem;
    const page = t.pageSize;
    let pages = 0;
    for (let k = 0; k < n;) {
      const pa = pa0 + 8 * k;
      const inFrame = Math.min(n - k, (4096 - (pa & 4095)) >>> 3);
      const i0 = mem.index(pa);
      const words = mem.words;
      let count = 0;
      let jmin = -1;
      let jmax = -1;
      for (let j = 0; j < inFrame; j++) {
        const lo = i0 < 0 ? 0 : words[i0 + 2 * j]!;
        const hi = i0 < 0 ? 0 : words[i0 + 2 * j + 1]!;
        const key = lo === 0 && hi === 0 ? -1 : (lo & FL) + ((hi & FH) >>> 18) * 0x1000;
        if (key !== lastKey) {
          let got = cache.get(key);
          if (!got) cache.set(key, (got = decide(lo, hi, addr0 + BigInt(k + j) * page)));
          lastKey = key;
          last = got;
        }
        const d = last;
        if (d.kind === SKIP) continue;
        if (d.kind === SLOW || i0 < 0) {
          perPte(pa + 8 * j, addr0 + BigInt(k + j) * page);
          continue;
        }
        ks[count] = j;
        if (d.kind === VALUE) {
          newLo[count] = d.lo;
          newHi[count] = d.hi;
        } else {
          newLo[count] = (lo & ~FL) | d.lo;
          newHi[count] = (hi & ~FH) | d.hi;
          if (d.flush) {
            if (jmin < 0) jmin = j;
            jmax = j;
          }
        }
        count++;
      }
      if (count) t.writePtes(f.mm.tree, pa, addr0, k, words, i0, ks, newLo, newHi, count);
      if (jmin >= 0) tlb.adjust(addr0 + BigInt(k + jmin) * page, BigInt(jmax - jmin + 1) * page);
      pages += count;
      k += inFrame;
    }
    return pages;
  };
}
