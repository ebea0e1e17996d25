// fs/userfaultfd.c (Linux v6.19) as the fault path meets it: handle_userfault (:381) and the waiter's
// recheck userfaultfd_must_wait (:283). A fault that must wait queues its message and the access
// waits: the model records the message in the fault's env and returns the VM_FAULT_RETRY that
// handle_userfault returns once woken (src/mm/fault-loop.ts suspends the access there).

import type { U64 } from '../bits/u64.ts';
import {
  FAULT_FLAG_ALLOW_RETRY,
  FAULT_FLAG_RETRY_NOWAIT,
  FAULT_FLAG_USER,
  FAULT_FLAG_WRITE,
} from './fault-flags.ts';
import { hstate_vma, hugetlb_walk } from './hugetlb.ts';
import {
  findPte,
  pteIs,
  VM_FAULT_RETRY,
  VM_FAULT_SIGBUS,
  type FaultEnv,
  type VmFault,
} from './vm-fault.ts';

export type UffdReason = 'VM_UFFD_MISSING' | 'VM_UFFD_WP' | 'VM_UFFD_MINOR';

/** :283 userfaultfd_must_wait, for a PTE-mapped address (huge PMDs are not modelled here). */
function userfaultfd_must_wait(f: FaultEnv, address: U64, reason: UffdReason): boolean {
  const pa = findPte(f, f.mm, address);
  if (pa === null) return true; // no table above: pgd/p4d/pud/pmd none
  const pte = f.t.read(pa);
  if (pteIs(f, 'pte_none', pte)) return true;
  if (f.helper('pte_is_uffd_marker', { pte }) === true) return true;
  return !pteIs(f, 'pte_write', pte) && reason === 'VM_UFFD_WP';
}

/** :230 userfaultfd_huge_must_wait. */
function userfaultfd_huge_must_wait(f: FaultEnv, vmf: VmFault, reason: UffdReason): boolean {
  const pa = hugetlb_walk(f, vmf.address, hstate_vma(f, vmf.vma));
  if (pa === undefined) return true;
  const pte = f.t.read(pa);
  if (pteIs(f, 'pte_none', pte)) return true;
  if (f.helper('pte_is_uffd_marker', { pte }) === true) return true;
  return !pteIs(f, 'pte_write', pte) && reason === 'VM_UFFD_WP';
}

/** :381 handle_userfault: VM_FAULT_SIGBUS, or VM_FAULT_RETRY (after the wait, when it waits). */
export function handle_userfault(f: FaultEnv, vmf: VmFault, reason: UffdReason): number {
  const ctx = vmf.vma.uffd;
  if (!ctx) return VM_FAULT_SIGBUS; // :400
  const features = ctx.features ?? new Set<string>();
  if (features.has('SIGBUS')) return VM_FAULT_SIGBUS; // :411
  if (!(vmf.flags & FAULT_FLAG_USER) && ctx.userModeOnly) return VM_FAULT_SIGBUS; // :413
  if (!(vmf.flags & FAULT_FLAG_ALLOW_RETRY)) return VM_FAULT_SIGBUS; // :426
  if (vmf.flags & FAULT_FLAG_RETRY_NOWAIT) return VM_FAULT_RETRY; // :447
  // :191 userfault_msg.
  const flags = [
    ...(vmf.flags & FAULT_FLAG_WRITE ? ['UFFD_PAGEFAULT_FLAG_WRITE'] : []),
    ...(reason === 'VM_UFFD_WP' ? ['UFFD_PAGEFAULT_FLAG_WP'] : []),
    ...(reason === 'VM_UFFD_MINOR' ? ['UFFD_PAGEFAULT_FLAG_MINOR'] : []),
  ];
  const address = features.has('EXACT_ADDRESS') ? vmf.real_address : vmf.address;
  // :511-523: the message is queued, then the recheck decides whether to sleep. Without a sleep the
  // message is withdrawn unread (:525-557) and the fault retries.
  const must_wait = vmf.vma.flags.has('VM_HUGETLB')
    ? userfaultfd_huge_must_wait(f, vmf, reason)
    : userfaultfd_must_wait(f, vmf.address, reason);
  if (must_wait) f.blocked = { uffd: ctx.name, flags, address };
  return VM_FAULT_RETRY;
}
