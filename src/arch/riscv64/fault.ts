// arch/riscv/mm/fault.c (Linux v6.19): the entry of a page fault taken in user mode, up to its first
// call of handle_mm_fault. Model choice: the VMA lock is never contended.

import type { U64 } from '../../bits/u64.ts';
import { VectorFormatError } from '../../errors.ts';
import {
  FAULT_FLAG_DEFAULT,
  FAULT_FLAG_INSTRUCTION,
  FAULT_FLAG_USER,
  FAULT_FLAG_WRITE,
  faultOnVma,
  type PageFaultEntry,
} from '../../mm/fault-flags.ts';
import type { Mm, Vma } from '../../mm/state.ts';

// arch/riscv/include/asm/csr.h
const EXC_INST_PAGE_FAULT = 12;
const EXC_LOAD_PAGE_FAULT = 13;
const EXC_STORE_PAGE_FAULT = 15;

/** :249 access_error. */
function access_error(cause: number, vma: Vma): boolean {
  if (cause === EXC_INST_PAGE_FAULT) return !vma.flags.has('VM_EXEC');
  // A load: write implies read.
  if (cause === EXC_LOAD_PAGE_FAULT)
    return !(vma.flags.has('VM_READ') || vma.flags.has('VM_WRITE'));
  return !vma.flags.has('VM_WRITE');
}

/** :278 handle_page_fault, user mode. */
export function handle_page_fault(
  mm: Mm,
  report: Readonly<Record<string, unknown>>,
): PageFaultEntry {
  const cause = report.cause as number;
  const addr = report.badaddr as U64;
  if (![EXC_INST_PAGE_FAULT, EXC_LOAD_PAGE_FAULT, EXC_STORE_PAGE_FAULT].includes(cause))
    throw new VectorFormatError('handle_page_fault takes scause 12, 13 or 15', '/args/cause');
  let flags = FAULT_FLAG_DEFAULT | FAULT_FLAG_USER;
  if (cause === EXC_STORE_PAGE_FAULT) flags |= FAULT_FLAG_WRITE;
  else if (cause === EXC_INST_PAGE_FAULT) flags |= FAULT_FLAG_INSTRUCTION;
  return faultOnVma(mm, addr, addr, flags, (vma) => access_error(cause, vma));
}
