// mm/hugetlb.c (Linux v6.19) as the uffd family needs it, for the PMD and PUD sizes (one entry per
// huge page): hugetlb_walk and huge_pte_alloc (the generic huge_pte_offset, mm/hugetlb.c:7001-7070),
// hugetlb_change_protection (:6409) and __unmap_hugepage_range (:5167). Model choices: no PMD-table
// sharing (huge_pmd_unshare finds nothing), arm64 contiguous and riscv Svnapot sizes are unsupported
// here (hstate_vma names the op; the walks and folio_walk_start have them), and the
// arm64 huge_pte_offset is the generic one (they differ only where a PUD-size VMA meets a table, or
// a PMD-size one a non-present entry above the huge level).

import type { U64 } from '../bits/u64.ts';
import { UnsupportedError } from '../errors.ts';
import { MM_CP_UFFD_WP, MM_CP_UFFD_WP_RESOLVE } from './mm_cp.ts';
import { MmuGather } from './mmu_gather.ts';
import type { ChainIndex } from './pgtable.ts';
import type { Vma } from './state.ts';
import { pte_swp_uffd_wp_any } from './userfaultfd_k.ts';
import { emit, pXd_alloc, softleaf_to_pfn, type FaultEnv } from './vm-fault.ts';

const PTE_MARKER_UFFD_WP = 1;

/** struct hstate of a hugetlb VMA: its size and the page-table level that holds its entries. */
export interface Hstate {
  readonly shift: number;
  readonly size: U64;
  readonly c: 2 | 3;
}

export function hstate_vma(f: FaultEnv, vma: Vma, by = 'this op'): Hstate {
  const shift = vma.hugetlbShift!;
  const size = 1n << BigInt(shift);
  const kind = vma.hstate?.kind;
  if (kind === 'pmd') return { shift, size, c: 3 };
  if (kind === 'pud') return { shift, size, c: 2 };
  // A huge page of several entries (huge_ptep_get gathering, set_huge_pte_at's break-before-make).
  const what =
    kind === 'napot' ? 'riscv Svnapot' : `arm64 ${kind === 'cont_pte' ? 'CONT_PTE' : 'CONT_PMD'}`;
  throw new UnsupportedError(
    `${by} on a ${size >> 10n}K ${what} hugetlb page (${vma.hstate?.ncontig} entries) is not modelled`,
  );
}

const is = (f: FaultEnv, name: string, pte: U64): boolean => f.helper(name, { pte }) === true;
const apply = (f: FaultEnv, name: string, pte: U64): U64 => f.helper(name, { pte }) as U64;
const root = (f: FaultEnv): number => f.m.treeRoot(f.mm.tree);

/** hugetlb_walk / huge_pte_offset (mm/hugetlb.c:7044): the entry's PA, or undefined. */
export function hugetlb_walk(f: FaultEnv, addr: U64, h: Hstate): number | undefined {
  const t = f.t;
  const pgd = t.offset(0, 0, addr, root(f));
  if (!t.present(0, t.read(pgd))) return undefined;
  const p4d = t.offset(1, pgd, addr, root(f));
  if (!t.present(1, t.read(p4d))) return undefined;
  const pud = t.offset(2, p4d, addr, root(f));
  if (h.c === 2) return pud;
  if (!t.present(2, t.read(pud))) return undefined;
  return t.offset(3, pud, addr, root(f));
}

/** huge_pte_alloc (mm/hugetlb.c:7001): p4d_alloc, pud_alloc, and pmd_alloc for a PMD size. */
export function huge_pte_alloc(f: FaultEnv, addr: U64, h: Hstate): number {
  const t = f.t;
  const pgd = t.offset(0, 0, addr, root(f));
  pXd_alloc(f, 0, pgd, addr);
  const p4d = t.offset(1, pgd, addr, root(f));
  pXd_alloc(f, 1, p4d, addr);
  const pud = t.offset(2, p4d, addr, root(f));
  if (h.c === 2) return pud;
  pXd_alloc(f, 2, pud, addr);
  return t.offset(3, pud, addr, root(f));
}

/** set_huge_pte_at / huge_pte_clear of a PMD or PUD size: one entry (include/asm-generic/hugetlb.h). */
export const set_huge_pte_at = (f: FaultEnv, h: Hstate, pa: number, addr: U64, v: U64): void =>
  f.t.write(f.mm.tree, h.c as ChainIndex, pa, addr, v);

/** huge_pte_mkuffd_wp (include/asm-generic/hugetlb.h:40): the bit, and write-protected. */
export const huge_pte_mkuffd_wp = (f: FaultEnv, pte: U64): U64 =>
  apply(f, 'pte_wrprotect', apply(f, 'pte_mkuffd_wp', pte));

/** arch_make_huge_pte for a PMD or PUD size: pte_mkhuge, as the level's pXd_mkhuge. */
export const arch_make_huge_pte = (f: FaultEnv, h: Hstate, pte: U64): U64 =>
  f.helper(h.c === 3 ? 'pmd_mkhuge' : 'pud_mkhuge', { [h.c === 3 ? 'pmd' : 'pud']: pte }) as U64;

const marker = (f: FaultEnv): U64 =>
  f.helper('make_pte_marker', { marker: PTE_MARKER_UFFD_WP }) as U64;

/** The softleaf type of a non-present huge entry. */
function leafType(f: FaultEnv, pte: U64): { entry: U64; type: string } {
  const entry = f.helper('softleaf_from_pte', { pte }) as U64;
  return { entry, type: f.helper('softleaf_type', { entry }) as string };
}

/**
 * mm/hugetlb.c:6409 hugetlb_change_protection: its own gather (tlb_gather_mmu_vma), a marker in every
 * none slot under MM_CP_UFFD_WP (with the tables allocated), each present entry rebuilt from
 * vm_page_prot (MM_CP_TRY_CHANGE_WRITABLE is not read). Returns base pages (:6554).
 */
export function hugetlb_change_protection(
  f: FaultEnv,
  vma: Vma,
  start: U64,
  end: U64,
  cp_flags: number,
): number {
  const h = hstate_vma(f, vma, 'hugetlb_change_protection');
  const uffd_wp = (cp_flags & MM_CP_UFFD_WP) !== 0;
  const uffd_wp_resolve = (cp_flags & MM_CP_UFFD_WP_RESOLVE) !== 0;
  const newprot = f.vmPageProt(vma);
  // hugetlb_mask_last_page: the rest of the upper table's span.
  const last_addr_mask = f.t.size((h.c - 1) as ChainIndex) - h.size;
  const tlb = new MmuGather(f);
  let pages = 0;
  for (let address = start; address < end; address += h.size) {
    let pa = hugetlb_walk(f, address, h);
    if (pa === undefined) {
      if (!uffd_wp) {
        address |= last_addr_mask;
        continue;
      }
      pa = huge_pte_alloc(f, address, h); // :6456 markers need the tables
    }
    const pte = f.t.read(pa);
    if (is(f, 'pte_none', pte)) {
      // :6476 none -> marker, not counted.
      if (uffd_wp) set_huge_pte_at(f, h, pa, address, marker(f));
      continue;
    }
    if (!is(f, 'pte_present', pte)) {
      const { entry, type } = leafType(f, pte);
      if (type === 'SOFTLEAF_HWPOISON') continue;
      if (type.startsWith('SOFTLEAF_MIGRATION_')) {
        let newpte = pte;
        if (type === 'SOFTLEAF_MIGRATION_WRITE') {
          // :6492 made readable (the rebuild drops the swap PTE's bits), and counted.
          const anon = f.st.pages.get(softleaf_to_pfn(f, entry))?.anon ?? false;
          const t = f.helper('swp_type', { entry }) as number;
          const offset = f.helper('swp_offset', { entry }) as U64;
          const readable = f.helper('swp_entry', { type: t - (anon ? 1 : 2), offset }) as U64;
          newpte = f.helper('swp_entry_to_pte', { entry: readable }) as U64;
          pages++;
        }
        if (uffd_wp) newpte = apply(f, 'pte_swp_mkuffd_wp', newpte);
        else if (uffd_wp_resolve) newpte = apply(f, 'pte_swp_clear_uffd_wp', newpte);
        if (newpte !== pte) set_huge_pte_at(f, h, pa, address, newpte);
        continue;
      }
      if (type === 'SOFTLEAF_MARKER') {
        // :6509 a uffd-wp marker goes on resolve; poison and guard markers stay.
        if (uffd_wp_resolve && f.helper('pte_is_uffd_wp_marker', { pte }) === true)
          set_huge_pte_at(f, h, pa, address, 0n);
        continue;
      }
      throw new UnsupportedError(`hugetlb_change_protection of a ${type} entry is not modelled`);
    }
    // :6519 huge_ptep_modify_prot_start/commit, then tlb_remove_huge_tlb_entry.
    let n = arch_make_huge_pte(f, h, f.helper('pte_modify', { value: pte, prot: newprot }) as U64);
    if (uffd_wp) n = huge_pte_mkuffd_wp(f, n);
    else if (uffd_wp_resolve) n = apply(f, 'pte_clear_uffd_wp', n);
    set_huge_pte_at(f, h, pa, address, n);
    tlb.adjust(address, h.size);
    pages++;
  }
  tlb.flush(); // :6540 tlb_flush_mmu_tlbonly: only when a present entry was changed
  // :6552 tlb_finish_mmu inside the caller's gather (mm/mprotect.c:654 does not pass it on):
  // mm_tlb_flush_nested, so the whole mm is flushed.
  tlb.finishNested();
  return pages > 0 ? pages << (h.shift - f.t.pageShift) : pages;
}

/**
 * mm/hugetlb.c:5167 __unmap_hugepage_range of [start, end) into `tlb`: a non-present entry becomes a
 * uffd-wp marker if it carried the mark and the zap keeps markers, else none; a present one is cleared
 * (its folio dirtied if it was dirty) and becomes a marker if it had the uffd-wp bit. Neither looks
 * at VM_UFFD_WP.
 */
export function __unmap_hugepage_range(
  f: FaultEnv,
  tlb: MmuGather,
  vma: Vma,
  start: U64,
  end: U64,
  dropMarker: boolean,
): void {
  const h = hstate_vma(f, vma, '__unmap_hugepage_range');
  const last_addr_mask = f.t.size((h.c - 1) as ChainIndex) - h.size;
  for (let address = start; address < end; address += h.size) {
    const pa = hugetlb_walk(f, address, h);
    if (pa === undefined) {
      address |= last_addr_mask;
      continue;
    }
    const pte = f.t.read(pa);
    if (is(f, 'pte_none', pte)) continue;
    if (!is(f, 'pte_present', pte)) {
      const keep = pte_swp_uffd_wp_any(f, pte) && !dropMarker;
      set_huge_pte_at(f, h, pa, address, keep ? marker(f) : 0n);
      continue;
    }
    set_huge_pte_at(f, h, pa, address, 0n);
    tlb.adjust(address, h.size);
    if (is(f, 'pte_dirty', pte)) {
      const pfn = f.helper('pte_pfn', { value: pte }) as U64;
      emit(f, { event: 'folio_mark_dirty', pfn });
      const cached = f.st.cached.get(pfn);
      if (cached) cached.folio.dirty = true;
    }
    if (is(f, 'pte_uffd_wp', pte) && !dropMarker) set_huge_pte_at(f, h, pa, address, marker(f));
  }
  tlb.endVma();
}
