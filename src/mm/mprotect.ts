// mm/mprotect.c (Linux v6.19) :41-103: whether change_protection may make a PTE writable at once,
// as the write-fault handler would, instead of leaving the first write to fault.

import type { U64 } from '../bits/u64.ts';
import { VectorFormatError } from '../errors.ts';
import type { OpArgs, OpValue } from '../ops/types.ts';
import type { Vma } from './state.ts';
import { userfaultfd_wp, vma_soft_dirty_enabled, type VmaEnv } from './vma.ts';

/** The arch's PTE helpers the decision reads. */
export type PteHelper = (name: string, a: OpArgs) => OpValue | undefined;

const is = (pte: PteHelper, name: string, v: U64): boolean => pte(name, { pte: v }) === true;

/** mm/internal.h:1564. */
const pte_needs_soft_dirty_wp = (e: VmaEnv, pte: PteHelper, vma: Vma, v: U64): boolean =>
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
