// folio_walk_start (mm/pagewalk.c:882, v6.19) with vm_normal_page / _pmd / _pud (mm/memory.c
// __vm_normal_page): which folio is mapped at an address, and which page of it. A hugetlb VMA takes
// the same path (v6.19 has no hugetlb branch, only vma_pgtable_walk_begin's lock, mm/memory.c:7394):
// an arm64 CONT_PMD entry is a PMD leaf, a CONT_PTE or riscv napot entry a PTE (entry_size PAGE_SIZE).

import type { U64 } from '../bits/u64.ts';
import type { OpArgs } from '../ops/types.ts';
import { page_folio, ptep_get } from './arm64-contpte.ts';
import { checkHasSvnapot } from './hugetlb_sizes.ts';
import { warn, type MmWalk, type WalkEvent } from './pagewalk.ts';
import type { Vma } from './state.ts';

export type FwLevel = 'FW_LEVEL_PTE' | 'FW_LEVEL_PMD' | 'FW_LEVEL_PUD';
export interface FolioWalkResult {
  readonly kind: 'folio_walk';
  readonly folio: U64 | null;
  readonly page?: U64 | null;
  readonly level?: FwLevel;
  readonly value?: U64;
  readonly events: readonly WalkEvent[];
}

const op = (w: MmWalk, name: string, a: OpArgs): unknown => w.t.op(name, a);

/**
 * __vm_normal_page with CONFIG_ARCH_HAS_PTE_SPECIAL (all three arches): a special entry has no page
 * (VM_PFNMAP/MIXEDMAP, zero pages, or a bad map); a PFN beyond highest_memmap_pfn has none either.
 * vm_ops->find_normal_page is not modelled.
 */
function normalPage(w: MmWalk, pfn: U64, special: boolean): U64 | null {
  if (special) return null;
  if (pfn > w.st.highestPfn) return null;
  return pfn;
}

/** A migration entry's PFN (softleaf_to_page), or null when `v` is not one (or FW_MIGRATION is off). */
function migrationPfn(w: MmWalk, v: U64): U64 | null {
  const e = op(w, 'softleaf_from_pte', { pte: v }) as U64 | undefined;
  if (e === undefined || op(w, 'softleaf_is_migration', { entry: e }) !== true) return null;
  return op(w, 'swp_offset', { entry: e }) as U64;
}

export function folio_walk_start(
  w: MmWalk,
  vma: Vma,
  addr: U64,
  flags: ReadonlySet<string>,
): FolioWalkResult {
  const t = w.t;
  const events = w.events ?? [];
  checkHasSvnapot(vma.hstate?.kind, t.h.config);
  if (w.mmapLock === 'none') warn(w, 'mmap_assert_locked');
  const notFound: FolioWalkResult = { kind: 'folio_walk', folio: null, events };
  if (addr < vma.start || addr >= vma.end) {
    warn(w, 'folio_walk_start');
    return notFound;
  }
  const root = t.m.treeRoot(w.tree);
  const found = (pfn: U64, expose: boolean, level: FwLevel, value: U64, size: U64) => ({
    kind: 'folio_walk' as const,
    folio: page_folio(w, pfn).head,
    page: expose ? pfn + ((addr & (size - 1n)) >> BigInt(t.pageShift)) : null,
    level,
    value,
    events,
  });
  const pgd = t.offset(0, 0, addr, root);
  if (t.noneOrClearBad(w.tree, 0, pgd, addr)) return notFound;
  const p4d = t.offset(1, pgd, addr, root);
  if (t.noneOrClearBad(w.tree, 1, p4d, addr)) return notFound;
  const pudp = t.offset(2, p4d, addr, root);
  const pud = t.read(pudp);
  if (t.none(2, pud)) return notFound;
  // CONFIG_PGTABLE_HAS_HUGE_LEAVES (THP or hugetlb): leaves and non-present PUDs under pud_lock.
  if (!t.present(2, pud) || t.leaf(2, pud)) {
    if (t.present(2, pud)) {
      const pfn = op(w, 'pud_pfn', { value: pud }) as U64;
      const page = normalPage(w, pfn, op(w, 'pud_special', { pud }) === true);
      if (page !== null) return found(page, true, 'FW_LEVEL_PUD', pud, t.size(2));
    }
    return notFound; // no FW_MIGRATION support for PUDs ("TODO")
  }
  const pmdp = t.offset(3, pudp, addr, root);
  const pmd = t.read(pmdp);
  if (t.none(3, pmd)) return notFound;
  if (!t.present(3, pmd) || t.leaf(3, pmd)) {
    if (t.present(3, pmd)) {
      const pfn = op(w, 'pmd_pfn', { value: pmd }) as U64;
      const page = normalPage(w, pfn, op(w, 'pmd_special', { pmd }) === true);
      if (page !== null) return found(page, true, 'FW_LEVEL_PMD', pmd, t.size(3));
      if (flags.has('FW_ZEROPAGE') && w.st.hugeZeroPfn !== undefined && pfn === w.st.hugeZeroPfn)
        return found(pfn, false, 'FW_LEVEL_PMD', pmd, t.size(3));
    } else if (flags.has('FW_MIGRATION')) {
      const pfn = migrationPfn(w, pmd);
      if (pfn !== null) return found(pfn, false, 'FW_LEVEL_PMD', pmd, t.size(3));
    }
    return notFound;
  }
  // pte_offset_map_lock: a bad PMD is cleared and does not map.
  if (t.bad(3, pmd)) {
    t.write(w.tree, 3, pmdp, addr, 0n);
    return notFound;
  }
  const ptep = t.offset(4, pmdp, addr, root);
  const pte = ptep_get(w, ptep);
  const page = 1n << BigInt(t.pageShift);
  if (op(w, 'pte_present', { pte }) === true) {
    const pfn = op(w, 'pte_pfn', { value: pte }) as U64;
    const normal = normalPage(w, pfn, op(w, 'pte_special', { pte }) === true);
    if (normal !== null) return found(normal, true, 'FW_LEVEL_PTE', pte, page);
    if (flags.has('FW_ZEROPAGE') && w.st.zeroPfn !== undefined && pfn === w.st.zeroPfn)
      return found(pfn, false, 'FW_LEVEL_PTE', pte, page);
  } else if (op(w, 'pte_none', { pte }) !== true && flags.has('FW_MIGRATION')) {
    const pfn = migrationPfn(w, pte);
    if (pfn !== null) return found(pfn, false, 'FW_LEVEL_PTE', pte, page);
  }
  return notFound;
}
