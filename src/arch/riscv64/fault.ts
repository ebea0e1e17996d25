// arch/riscv/mm/fault.c (Linux v6.19): the entry of a page fault taken in user mode, up to its first
// call of handle_mm_fault. Model choice: the VMA lock is never contended.

import type { U64 } from '../../bits/u64.ts';
import { VectorFormatError } from '../../errors.ts';
import type { ArgsForm } from '../../ops/args.ts';
import {
  FAULT_FLAG_DEFAULT,
  FAULT_FLAG_INSTRUCTION,
  FAULT_FLAG_USER,
  FAULT_FLAG_WRITE,
  faultOnVma,
  type PageFaultEntry,
} from '../../mm/fault-flags.ts';
import {
  flush,
  ptep_get,
  set_pte_at,
  VM_FAULT_HWPOISON,
  VM_FAULT_HWPOISON_LARGE,
  VM_FAULT_OOM,
  VM_FAULT_SIGBUS,
  type ArchUserFault,
} from '../../mm/vm-fault.ts';
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

/** :278 handle_page_fault(regs): regs->cause and regs->badaddr, the step's members. */
export const riscvEntryForm: ArgsForm = {
  arch: 'riscv64',
  op: 'handle_page_fault',
  members: ['mm', 'cause', 'badaddr'],
  what: 'current->mm, scause and stval',
};

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

/** The fault loop's riscv side: the entry's arguments, mm_fault_error, and the TLB hooks. */
export const riscvUserFault: ArchUserFault = {
  entryArgs: (r) =>
    'scause' in r &&
    [EXC_INST_PAGE_FAULT, EXC_LOAD_PAGE_FAULT, EXC_STORE_PAGE_FAULT].includes(r.scause)
      ? { cause: r.scause, badaddr: r.stval }
      : undefined,
  // :117 mm_fault_error.
  mm_fault_error(ret, args) {
    const addr = args.badaddr as U64;
    if (ret & VM_FAULT_OOM) return { kind: 'pagefault_out_of_memory' };
    if (ret & (VM_FAULT_SIGBUS | VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE))
      return { kind: 'signal', signal: { signo: 'SIGBUS', code: 'BUS_ADRERR', addr } };
    return { kind: 'signal', signal: { signo: 'SIGSEGV', code: 'SEGV_MAPERR', addr } };
  },
  hooks: {
    // arch/riscv/mm/pgtable.c:8.
    ptep_set_access_flags(f, vmf, entry) {
      const differs = ptep_get(f, vmf.pte!) !== entry;
      if (differs) set_pte_at(f, vmf, vmf.pte!, entry);
      if (!f.config.Svvptc) return true;
      if (differs) flush(f, 'flush_tlb_page', vmf.address, 'mm');
      return differs;
    },
    // arch/riscv/include/asm/pgtable.h:562 update_mmu_cache_range; :588 update_mmu_tlb_range.
    update_mmu_cache: (f, addr) => {
      if (!f.config.Svvptc) flush(f, 'update_mmu_cache', addr, 'local');
    },
    update_mmu_tlb: (f, addr) => {
      if (!f.config.Svvptc) flush(f, 'update_mmu_tlb', addr, 'local');
    },
    // include/linux/pgtable.h:1232: the generic flush_tlb_page.
    flush_tlb_fix_spurious_fault: (f, addr) => flush(f, 'flush_tlb_fix_spurious_fault', addr, 'mm'),
    pte_accessible: (_f, pte) => (pte & 1n) !== 0n, // pgtable.h:357: _PAGE_PRESENT
    pte_needs_flush: () => true, // include/asm-generic/tlb.h:779
    mmu_gather_merge_vmas: false,
    // arch/riscv/mm/tlbflush.c:225 always defer; :230 add_pending gathers mm_cpumask; :237 the batch
    // flush is __flush_tlb_range(NULL, cpumask, 0, FLUSH_TLB_MAX_SIZE): the whole TLB.
    tlbbatch: { should_defer: () => true, add_pending_flushes: false, batch_flush: 'all' },
  },
};
