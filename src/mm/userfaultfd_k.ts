// include/linux/userfaultfd_k.h (Linux v6.19): the predicates the fault, mprotect and zap paths ask
// of a VMA and a PTE, and vma_can_userfault. kernel-facts §6; /work facts in uffd-faults.md §3.

import type { U64 } from '../bits/u64.ts';
import type { KernelConfig } from '../config.ts';
import type { OpArgs, OpValue } from '../ops/types.ts';
import type { Vma } from './state.ts';
import type { VmFlag, VmFlags } from './vm-flags.ts';

/** What the predicates read: the config and the arch's helpers. */
export interface UffdEnv {
  readonly config: KernelConfig;
  helper(name: string, a: OpArgs): OpValue | undefined;
}

const is = (e: UffdEnv, name: string, a: OpArgs): boolean => e.helper(name, a) === true;

export const pgtable_supports_uffd_wp = (e: UffdEnv): boolean =>
  is(e, 'pgtable_supports_uffd_wp', {});
/** asm-generic/pgtable_uffd.h:16. */
export const uffd_supports_wp_marker = (e: UffdEnv): boolean =>
  is(e, 'uffd_supports_wp_marker', {});

/** :179-192. */
export const userfaultfd_missing = (vma: Vma): boolean => vma.flags.has('VM_UFFD_MISSING');
export const userfaultfd_wp = (vma: Vma): boolean => vma.flags.has('VM_UFFD_WP');
export const userfaultfd_minor = (vma: Vma): boolean => vma.flags.has('VM_UFFD_MINOR');
/** :206 userfaultfd_armed. */
export const userfaultfd_armed = (vma: Vma): boolean =>
  userfaultfd_missing(vma) || userfaultfd_wp(vma) || userfaultfd_minor(vma);
/** :194 userfaultfd_pte_wp. */
export const userfaultfd_pte_wp = (e: UffdEnv, vma: Vma, pte: U64): boolean =>
  userfaultfd_wp(vma) && is(e, 'pte_uffd_wp', { pte });
/** :174 uffd_disable_fault_around. */
export const uffd_disable_fault_around = (vma: Vma): boolean =>
  userfaultfd_wp(vma) || userfaultfd_minor(vma);

const feature = (vma: Vma, f: string): boolean => vma.uffd?.features?.has(f) ?? false;
/** fs/userfaultfd.c:87 userfaultfd_wp_async. */
export const userfaultfd_wp_async = (vma: Vma): boolean => feature(vma, 'WP_ASYNC');
/** fs/userfaultfd.c:97 userfaultfd_wp_unpopulated. */
export const userfaultfd_wp_unpopulated = (vma: Vma): boolean => feature(vma, 'WP_UNPOPULATED');

/** include/linux/mm.h vma_is_anonymous: no vm_ops. */
export const vma_is_anonymous = (vma: Vma): boolean => !vma.hasVmOps;

/** :293 userfaultfd_wp_use_markers. */
export function userfaultfd_wp_use_markers(vma: Vma): boolean {
  if (!userfaultfd_wp(vma)) return false;
  if (!vma_is_anonymous(vma)) return true;
  return userfaultfd_wp_unpopulated(vma);
}

/** :314 pte_swp_uffd_wp_any. */
export const pte_swp_uffd_wp_any = (e: UffdEnv, pte: U64): boolean =>
  is(e, 'pte_swp_uffd_wp_any', { pte });

/** mm/shmem.c:288 vma_is_shmem, given the file's shmem flag. */
export type IsShmem = (vma: Vma) => boolean;

/**
 * :211 vma_can_userfault(vma, vm_flags, wp_async): VM_DROPPABLE is not modelled (no VMA has it).
 */
export function vma_can_userfault(
  e: UffdEnv,
  isShmem: IsShmem,
  vma: Vma,
  vm_flags: VmFlags,
  wp_async: boolean,
): boolean {
  const want = (f: VmFlag) => vm_flags.has(f);
  const hugetlb = vma.flags.has('VM_HUGETLB');
  if (want('VM_UFFD_MINOR') && !(hugetlb || isShmem(vma))) return false;
  const only_wp = want('VM_UFFD_WP') && !want('VM_UFFD_MISSING') && !want('VM_UFFD_MINOR');
  if (wp_async && only_wp) return true;
  if (!uffd_supports_wp_marker(e) && want('VM_UFFD_WP') && !vma_is_anonymous(vma)) return false;
  return vma_is_anonymous(vma) || hugetlb || isShmem(vma);
}
