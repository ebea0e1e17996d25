// The fault flags (include/linux/mm_types.h:1687 enum fault_flag, include/linux/mm.h:647
// FAULT_FLAG_DEFAULT), the VMA lookup of a fault's entry (mm/mmap_lock.c:245 lock_vma_under_rcu;
// :445 lock_mm_and_find_vma), and what an arch's entry for a user page fault does first.

import type { U64 } from '../bits/u64.ts';
import type { KernelConfig } from '../config.ts';
import { find_vma, type Mm, type Vma } from './state.ts';

export const FAULT_FLAG_NAMES = [
  'FAULT_FLAG_WRITE',
  'FAULT_FLAG_MKWRITE',
  'FAULT_FLAG_ALLOW_RETRY',
  'FAULT_FLAG_RETRY_NOWAIT',
  'FAULT_FLAG_KILLABLE',
  'FAULT_FLAG_TRIED',
  'FAULT_FLAG_USER',
  'FAULT_FLAG_REMOTE',
  'FAULT_FLAG_INSTRUCTION',
  'FAULT_FLAG_INTERRUPTIBLE',
  'FAULT_FLAG_UNSHARE',
  'FAULT_FLAG_ORIG_PTE_VALID',
  'FAULT_FLAG_VMA_LOCK',
] as const;
export type FaultFlagName = (typeof FAULT_FLAG_NAMES)[number];

export const FAULT_FLAG_WRITE = 1 << 0;
export const FAULT_FLAG_MKWRITE = 1 << 1;
export const FAULT_FLAG_ALLOW_RETRY = 1 << 2;
export const FAULT_FLAG_RETRY_NOWAIT = 1 << 3;
export const FAULT_FLAG_TRIED = 1 << 5;
export const FAULT_FLAG_USER = 1 << 6;
export const FAULT_FLAG_INSTRUCTION = 1 << 8;
export const FAULT_FLAG_UNSHARE = 1 << 10;
export const FAULT_FLAG_ORIG_PTE_VALID = 1 << 11;
export const FAULT_FLAG_VMA_LOCK = 1 << 12;
export const FAULT_FLAG_DEFAULT = (1 << 2) | (1 << 4) | (1 << 9); // ALLOW_RETRY|KILLABLE|INTERRUPTIBLE

/** The names of the set flags, bit 0 first. */
export const faultFlagNames = (flags: number): FaultFlagName[] =>
  FAULT_FLAG_NAMES.filter((_, i) => (flags & (1 << i)) !== 0);

export type Signo = 'SIGSEGV' | 'SIGBUS' | 'SIGKILL';
export type SiCode =
  'SEGV_MAPERR' | 'SEGV_ACCERR' | 'BUS_ADRALN' | 'BUS_ADRERR' | 'BUS_MCEERR_AR' | 'SI_KERNEL';
export interface Signal {
  readonly signo: Signo;
  readonly code: SiCode;
  readonly addr: U64;
}

/** What a user page fault's entry does before the fault is handled. */
export type PageFaultEntry =
  | {
      readonly kind: 'page_fault_entry';
      readonly handle_mm_fault: {
        readonly vma: Vma;
        readonly address: U64;
        readonly flags: number;
      };
    }
  | {
      readonly kind: 'page_fault_entry';
      readonly signal: Signal;
    };

export const callHandleMmFault = (vma: Vma, address: U64, flags: number): PageFaultEntry => ({
  kind: 'page_fault_entry',
  handle_mm_fault: { vma, address, flags },
});
export const signal = (signo: Signo, code: SiCode, addr: U64): PageFaultEntry => ({
  kind: 'page_fault_entry',
  signal: { signo, code, addr },
});

/**
 * lock_vma_under_rcu (mm/mmap_lock.c:245): the VMA that contains `addr`, read-locked. Model choice: the lock
 * is never contended, so it fails only where no VMA contains the address.
 */
export function lock_vma_under_rcu(mm: Mm, addr: U64): Vma | undefined {
  const vma = find_vma(mm, addr);
  return vma && vma.start <= addr ? vma : undefined;
}

/**
 * The part every arch's entry shares: the VMA under its per-VMA lock, checked by the arch's
 * `access_error`; none gives SEGV_MAPERR, a refusal SEGV_ACCERR, and otherwise the first call of
 * handle_mm_fault, with FAULT_FLAG_VMA_LOCK. Without contention lock_vma_under_rcu fails only where
 * no VMA contains the address, and the mmap-lock path (lock_mm_and_find_vma, no stack expansion) then
 * finds none either.
 */
export function faultOnVma(
  mm: Mm,
  addr: U64,
  siAddr: U64,
  flags: number,
  access_error: (vma: Vma) => boolean,
): PageFaultEntry {
  const vma = lock_vma_under_rcu(mm, addr);
  if (!vma) return signal('SIGSEGV', 'SEGV_MAPERR', siAddr);
  if (access_error(vma)) return signal('SIGSEGV', 'SEGV_ACCERR', siAddr);
  return callHandleMmFault(vma, addr, flags | FAULT_FLAG_VMA_LOCK);
}

/** The arch's entry for a page fault taken in user mode, given the hardware's report. */
export type UserPageFault = (
  mm: Mm,
  report: Readonly<Record<string, unknown>>,
  cfg: KernelConfig,
  vaBits: number,
) => PageFaultEntry;
