// mm/memory.c (Linux v6.19) zap_page_range_single(_batched) (:2131-2170) over PTE tables:
// zap_pte_range (:1824) with zap_present_ptes (:1671), zap_nonpresent_ptes (:1717) and
// zap_install_uffd_wp_if_needed (:1590, pte_install_uffd_wp_if_needed include/linux/mm_inline.h:569),
// for madvise(MADV_DONTNEED) (mm/madvise.c:857) and unmap_mapping_pages (:4260). Model choices:
// order-0 folios (no batching), page tables are never reclaimed (CONFIG_PT_RECLAIM off), a huge PMD
// in the range is unsupported, no mmu notifier subscriptions.

import { MASK64, type U64 } from '../bits/u64.ts';
import { UnsupportedError, VectorFormatError } from '../errors.ts';
import { eachPte } from './change_protection.ts';
import { __unmap_hugepage_range } from './hugetlb.ts';
import { flush_tlb_batched_pending, MmuGather } from './mmu_gather.ts';
import { free_swap_and_cache } from './swapfile.ts';
import { i_mmap, type Vma } from './state.ts';
import {
  pte_swp_uffd_wp_any,
  uffd_supports_wp_marker,
  userfaultfd_pte_wp,
  userfaultfd_wp,
  vma_is_anonymous,
} from './userfaultfd_k.ts';
import {
  emit,
  pageState,
  refuse_contpte,
  softleaf_to_pfn,
  vm_normal_page,
  type FaultEnv,
} from './vm-fault.ts';

/** struct zap_details (include/linux/mm.h:2585); ZAP_FLAG_DROP_MARKER is `dropMarker`. */
export interface ZapDetails {
  readonly even_cows: boolean;
  readonly reclaim_pt: boolean;
  readonly dropMarker: boolean;
}

/** :1554 should_zap_cows (details are never NULL here). */
const should_zap_cows = (d: ZapDetails): boolean => d.reclaim_pt || d.even_cows;

const PTE_MARKER_UFFD_WP = 1;
const test = (f: FaultEnv, name: string, a: Record<string, U64>): boolean =>
  f.helper(name, a) === true;

/** mm_inline.h:569 pte_install_uffd_wp_if_needed, for a PTE the caller just cleared. */
export function pte_install_uffd_wp_if_needed(
  f: FaultEnv,
  vma: Vma,
  pa: number,
  addr: U64,
  pteval: U64,
): boolean {
  if (!uffd_supports_wp_marker(f)) return false;
  if (vma_is_anonymous(vma) || !userfaultfd_wp(vma)) return false;
  const armed =
    (test(f, 'pte_present', { pte: pteval }) && test(f, 'pte_uffd_wp', { pte: pteval })) ||
    pte_swp_uffd_wp_any(f, pteval);
  if (!armed) return false;
  f.t.write(
    vma.mm.tree,
    4,
    pa,
    addr,
    f.helper('make_pte_marker', { marker: PTE_MARKER_UFFD_WP }) as U64,
  );
  return true;
}

/** :1590 zap_install_uffd_wp_if_needed (one PTE). */
function zap_install_uffd_wp_if_needed(
  f: FaultEnv,
  vma: Vma,
  pa: number,
  addr: U64,
  d: ZapDetails,
  pteval: U64,
): void {
  if (!uffd_supports_wp_marker(f) || vma_is_anonymous(vma) || d.dropMarker) return;
  pte_install_uffd_wp_if_needed(f, vma, pa, addr, pteval);
}

/** unmap_page_range over [start, end) of one VMA into `tlb` (:2005, tlb_start_vma ... tlb_end_vma). */
function unmap_page_range(
  f: FaultEnv,
  tlb: MmuGather,
  vma: Vma,
  start: U64,
  end: U64,
  d: ZapDetails,
): void {
  const clear = (pa: number, addr: U64) => f.t.write(vma.mm.tree, 4, pa, addr, 0n);
  let forceFlush = false;
  let table = -1;
  const freeSwap: U64[] = [];
  const endTable = () => {
    // :1884 a dirty file page was zapped: flush before the PTL is dropped.
    if (forceFlush) tlb.flush();
    forceFlush = false;
  };
  eachPte(f, start, end, (pa, addr) => {
    const t = Math.floor(pa / 2 ** f.t.pageShift);
    if (t !== table) {
      endTable();
      table = t;
      flush_tlb_batched_pending(f); // :1848
    }
    const ptent = f.t.read(pa);
    if (test(f, 'pte_none', { pte: ptent })) return;
    if (test(f, 'pte_present', { pte: ptent })) {
      refuse_contpte(f, ptent, 'zap');
      const page = vm_normal_page(f, ptent);
      if (page === null) {
        // :1682 the zero page or a special PTE: no folio.
        clear(pa, addr);
        tlb.adjust(addr, f.t.pageSize);
        if (userfaultfd_pte_wp(f, vma, ptent))
          zap_install_uffd_wp_if_needed(f, vma, pa, addr, d, ptent);
        return;
      }
      const anon = pageState(f.st, page).anon;
      // :1695 should_zap_folio: an anonymous folio survives unless COWs are zapped.
      if (anon && !should_zap_cows(d)) return;
      clear(pa, addr);
      if (!anon && test(f, 'pte_dirty', { pte: ptent })) {
        // :1634 folio_mark_dirty, and the rmap is dropped after a flush (tlb_delay_rmap).
        emit(f, { event: 'folio_mark_dirty', pfn: page });
        const cached = f.st.cached.get(page);
        if (cached) cached.folio.dirty = true;
        forceFlush = true;
      }
      tlb.adjust(addr, f.t.pageSize);
      if (userfaultfd_pte_wp(f, vma, ptent))
        zap_install_uffd_wp_if_needed(f, vma, pa, addr, d, ptent);
      return;
    }
    // :1717 zap_nonpresent_ptes.
    const entry = f.helper('softleaf_from_pte', { pte: ptent }) as U64;
    const type = f.helper('softleaf_type', { entry }) as string;
    if (type.startsWith('SOFTLEAF_DEVICE_')) {
      // :1727 a device-private or device-exclusive entry maps an (anonymous) page.
      const anon = f.st.pages.get(softleaf_to_pfn(f, entry))?.anon ?? false;
      if (anon && !should_zap_cows(d)) return;
      if (!vma_is_anonymous(vma)) emit(f, { event: 'warn', func: 'zap_nonpresent_ptes' });
    } else if (type === 'SOFTLEAF_SWAP') {
      if (!should_zap_cows(d)) return;
      freeSwap.push(ptent);
    } else if (type === 'SOFTLEAF_MARKER') {
      const uffd = test(f, 'softleaf_is_uffd_wp_marker', { entry });
      const guard = test(f, 'softleaf_is_guard_marker', { entry });
      const poison = test(f, 'softleaf_is_poison_marker', { entry });
      if (uffd) {
        if (!vma_is_anonymous(vma) && !d.dropMarker) return;
      } else if (guard) {
        if (!d.dropMarker) return;
      } else if (poison) {
        if (!should_zap_cows(d)) return;
      } else {
        emit(f, { event: 'warn', func: 'zap_nonpresent_ptes' });
      }
    } else if (type === 'SOFTLEAF_HWPOISON') {
      if (!should_zap_cows(d)) return;
    } else if (type.startsWith('SOFTLEAF_MIGRATION_')) {
      // :1752 should_zap_folio of the migrating folio.
      const anon = f.st.pages.get(softleaf_to_pfn(f, entry))?.anon ?? false;
      if (anon && !should_zap_cows(d)) return;
    } else throw new UnsupportedError(`zap_nonpresent_ptes of a ${type} entry is not modelled`);
    clear(pa, addr);
    zap_install_uffd_wp_if_needed(f, vma, pa, addr, d, ptent);
  });
  endTable();
  tlb.endVma();
  for (const pte of freeSwap) free_swap_and_cache(f, pte);
}

/**
 * zap_page_range_single_batched of [start, end) of a VMA into the caller's gather (madvise) or, with
 * no gather, zap_page_range_single: its own gather, finished at once.
 */
export function zap_page_range(
  f: FaultEnv,
  vma: Vma,
  start: U64,
  end: U64,
  d: ZapDetails,
  tlb?: MmuGather,
): void {
  const own = tlb ?? new MmuGather(f);
  // :2056 unmap_single_vma: hugetlb has its own walk (its range is huge-page aligned, :5184 BUG_ON).
  if (vma.flags.has('VM_HUGETLB')) {
    const mask = (1n << BigInt(vma.hugetlbShift!)) - 1n;
    if (start & mask || end & mask)
      throw new VectorFormatError(
        'a hugetlb zap must cover whole huge pages (mm/hugetlb.c:5184 BUG_ON)',
        '/args',
      );
    __unmap_hugepage_range(f, own, vma, start, end, d.dropMarker);
  } else unmap_page_range(f, own, vma, start, end, d);
  if (!tlb) own.finish();
}

const ENOMEM = -12;
const hmask = (vma: Vma): U64 => (1n << BigInt(vma.hugetlbShift!)) - 1n;
const EINVAL = -22;

/** mm/madvise.c madvise(start, len, MADV_DONTNEED): madvise_walk_vmas (:1671) with one gather. */
export function madvise_dontneed(f: FaultEnv, start: U64, len: U64): number {
  const page = f.t.pageSize;
  // mm/madvise.c:1845 is_valid_madvise: start page aligned; PAGE_ALIGN(len_in) in unsigned long arithmetic, so a
  // len within a page of 2^64 wraps to 0 (:1857); start + len must not wrap (:1860).
  if (start & (page - 1n)) return EINVAL;
  const alen = (len + page - 1n) & ~(page - 1n) & MASK64;
  if (len !== 0n && alen === 0n) return EINVAL;
  if (start + alen > MASK64) return EINVAL;
  const end = start + alen;
  if (end === start) return 0;
  const tlb = new MmuGather(f);
  let ret = 0;
  let at = start;
  for (const vma of f.mm.vmas.filter((v) => v.end > start && v.start < end)) {
    if (at < vma.start) ret = ENOMEM; // a hole: -ENOMEM, and the walk goes on
    // :873 madvise_dontneed_free_valid_vma.
    const hugetlb = vma.flags.has('VM_HUGETLB');
    if (
      hugetlb
        ? (at > vma.start ? at : vma.start) & hmask(vma)
        : vma.flags.has('VM_PFNMAP') || vma.flags.has('VM_LOCKED')
    ) {
      tlb.finish();
      return EINVAL;
    }
    if (vma.uffd?.features?.has('EVENT_REMOVE'))
      throw new UnsupportedError('userfaultfd_remove (UFFD_FEATURE_EVENT_REMOVE) is not modelled');
    const s = at > vma.start ? at : vma.start;
    const e = end < vma.end ? end : vma.end;
    // :897 a hugetlb VMA's end is rounded down to its huge page size.
    const ze = hugetlb ? e & ~hmask(vma) : e;
    if (ze > s)
      zap_page_range(f, vma, s, ze, { even_cows: true, reclaim_pt: true, dropMarker: false }, tlb);
    at = e;
  }
  if (at < end) ret = ENOMEM;
  tlb.finish();
  return ret;
}

/**
 * :4260 unmap_mapping_pages(mapping, start, nr, even_cows): every VMA of the file overlapping the
 * page range, in i_mmap order (unmap_mapping_range_tree :4186), zap_page_range_single of its part.
 */
export function unmap_mapping_pages(
  env: (vma: Vma) => FaultEnv,
  st: FaultEnv['st'],
  file: string,
  start: U64,
  nr: U64,
  even_cows: boolean,
  page: U64,
): void {
  const last = start + nr - 1n;
  const shift = BigInt(Math.log2(Number(page)));
  for (const vma of i_mmap(st, file, start, last, page)) {
    const vba = vma.pgoff;
    const vea = vba + ((vma.end - vma.start) >> shift) - 1n;
    const zba = start > vba ? start : vba;
    const zea = last < vea ? last : vea;
    const s = ((zba - vba) << shift) + vma.start;
    const e = ((zea - vba + 1n) << shift) + vma.start;
    zap_page_range(env(vma), vma, s, e, { even_cows, reclaim_pt: false, dropMarker: false });
  }
}
