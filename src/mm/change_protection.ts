// mm/mprotect.c (Linux v6.19) change_protection (:633) over PTE tables: change_protection_range and
// change_p4d/pud/pmd_range (:451-631: the tables populated where userfaultfd markers need them) and
// change_pte_range (:214) for every PTE state, with MM_CP_TRY_CHANGE_WRITABLE, MM_CP_UFFD_WP and
// MM_CP_UFFD_WP_RESOLVE, with the flushes collected in an mmu_gather. hugetlb VMAs go to
// hugetlb_change_protection (src/mm/hugetlb.ts); a file VMA's huge PMD is split (cleared) where the
// range is partial or markers need PTEs; any other huge PUD or PMD is unsupported.

import type { U64 } from '../bits/u64.ts';
import { UnsupportedError, VectorFormatError } from '../errors.ts';
import type { OpArgs, OpValue } from '../ops/types.ts';
import type { ChainIndex } from './pgtable.ts';
import type { Vma } from './state.ts';
import { userfaultfd_wp_use_markers } from './userfaultfd_k.ts';
import { hugetlb_change_protection } from './hugetlb.ts';
import { MM_CP_TRY_CHANGE_WRITABLE, MM_CP_UFFD_WP, MM_CP_UFFD_WP_RESOLVE } from './mm_cp.ts';
import { flush_tlb_batched_pending, type MmuGather } from './mmu_gather.ts';
import { PteRun } from './change-pte-run.ts';
import {
  emit,
  flushRange,
  pXd_alloc,
  refuse_contpte,
  softleaf_to_pfn,
  type FaultEnv,
} from './vm-fault.ts';
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

/** PTE_MARKER_UFFD_WP (include/linux/swapops.h:283). */
const PTE_MARKER_UFFD_WP = 1;

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
  splitPmd?: (pa: number, addr: U64, v: U64) => boolean,
): void {
  const t = f.t;
  const below = (c: ChainIndex, pa: number, addr: U64): boolean => {
    if (populate) pXd_alloc(f, c, pa, addr);
    let v = t.read(pa);
    // :477 pmd_is_huge (include/linux/huge_mm.h): a non-present, non-none PMD (a migration or
    // device-private entry) takes the huge path too: change_huge_pmd or __split_huge_pmd.
    const nonPresentPmd = c === 3 && splitPmd !== undefined && !t.none(c, v) && !t.present(c, v);
    if ((c === 2 || c === 3) && (t.leaf(c, v) || nonPresentPmd)) {
      // mm/mprotect.c:479 __split_huge_pmd, then change_pmd_prepare again.
      if (c === 2 || !splitPmd?.(pa, addr, v))
        throw new UnsupportedError('change_protection of a huge PUD or PMD is not modelled');
      if (populate) pXd_alloc(f, c, pa, addr);
      v = t.read(pa);
    }
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

/**
 * mm/huge_memory.c:3006 __split_huge_pmd_locked of a file THP: pmdp_huge_clear_flush, the folio
 * dirtied if the PMD was dirty and the folio was not; the pages fault in again.
 */
function split_file_pmd(f: FaultEnv, vma: Vma, pa: number, addr: U64, v: U64): void {
  const size = f.t.size(3);
  const haddr = addr & ~(size - 1n);
  f.t.write(f.mm.tree, 3, pa, haddr, 0n);
  flushRange(f, 'flush_tlb_range', haddr, haddr + size);
  if (vma.flags.has('VM_PFNMAP') || vma.flags.has('VM_MIXEDMAP')) return; // vma_is_special_huge
  const pfn = f.helper('pmd_pfn', { value: v }) as U64;
  if (pfn === f.st.hugeZeroPfn) return; // is_huge_zero_pmd
  const cached = f.st.cached.get(pfn);
  if (f.helper('pmd_dirty', { pmd: v }) === true && !(cached?.folio.dirty ?? false)) {
    emit(f, { event: 'folio_mark_dirty', pfn });
    if (cached) cached.folio.dirty = true;
  }
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
  // :654 hugetlb has its own walk and gather.
  if (vma.flags.has('VM_HUGETLB')) return hugetlb_change_protection(f, vma, start, end, cp_flags);
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
    refuse_contpte(f, oldpte, 'change_protection');
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
  const fast = new PteRun(f, vma, cp_flags, present, populate ? marker() : undefined);
  // :392 pgtable_split_needed: a file VMA's huge PMD is split (cleared) so that markers can go in.
  // :478 a partial range splits it too; a whole one goes to change_huge_pmd (not modelled), as does
  // every anonymous huge PMD and every non-present one.
  const size = f.t.size(3);
  const split = (pa: number, addr: U64, v: U64): boolean => {
    if (!f.t.present(3, v))
      throw new UnsupportedError(
        'change_protection of a non-present PMD (a migration or device-private entry) is not modelled',
      );
    if (!vma.hasVmOps) return false;
    const haddr = addr & ~(size - 1n);
    if (!uffd_wp && start <= haddr && haddr + size <= end) return false;
    split_file_pmd(f, vma, pa, addr, v);
    return true;
  };
  eachPte(
    f,
    start,
    end,
    perPte,
    populate,
    (pa0, addr0, n) => {
      flush_tlb_batched_pending(f); // :235, once per PTE table (the walker gives each a run)
      pages += fast.run(tlb, pa0, addr0, n, perPte);
    },
    split,
  );
  return pages;
}
