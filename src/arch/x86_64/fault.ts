// arch/x86/mm/fault.c (Linux v6.19): the entry of a #PF taken in user mode, up to its first call of
// handle_mm_fault. Model choices: no protection keys (X86_FEATURE_OSPKE off, so PKRU reads 0 and every
// key is allowed; the CPU then never sets X86_PF_PK), the vsyscall page is not emulated, the faulting
// instruction is never a prefetch, and the VMA lock is never contended.

import type { U64 } from '../../bits/u64.ts';
import type { KernelConfig } from '../../config.ts';
import { UnsupportedError, VectorFormatError } from '../../errors.ts';
import {
  FAULT_FLAG_DEFAULT,
  FAULT_FLAG_INSTRUCTION,
  FAULT_FLAG_USER,
  FAULT_FLAG_WRITE,
  faultOnVma,
  signal,
  type PageFaultEntry,
} from '../../mm/fault-flags.ts';
import type { Mm, Vma } from '../../mm/state.ts';

// arch/x86/include/asm/trap_pf.h
const X86_PF_PROT = 1 << 0;
const X86_PF_WRITE = 1 << 1;
const X86_PF_USER = 1 << 2;
const X86_PF_RSVD = 1 << 3;
const X86_PF_INSTR = 1 << 4;
const X86_PF_PK = 1 << 5;
const X86_PF_SHSTK = 1 << 6;
const X86_PF_SGX = 1 << 15;

const VSYSCALL_ADDR = 0xffffffffff600000n;
const PAGE_MASK = ~0xfffn;

/** include/linux/mm.h: VM_SHADOW_STACK is VM_NONE without CONFIG_X86_USER_SHADOW_STACK. */
const shadowStack = (vma: Vma, cfg: KernelConfig): boolean =>
  cfg.CONFIG_X86_USER_SHADOW_STACK && vma.flags.has('VM_SHADOW_STACK');

/**
 * :1049 access_error; arch_vma_access_permitted allows everything without OSPKE, and its X86_PF_PK
 * test is not reached (handle_page_fault refuses that bit first).
 */
function access_error(error_code: number, vma: Vma, cfg: KernelConfig): boolean {
  if (error_code & X86_PF_SGX) return true;
  if (error_code & X86_PF_SHSTK) return !shadowStack(vma, cfg) || !vma.flags.has('VM_WRITE');
  if (error_code & X86_PF_WRITE) return shadowStack(vma, cfg) || !vma.flags.has('VM_WRITE');
  if (error_code & X86_PF_PROT) return true;
  // vma_is_accessible: VM_READ | VM_WRITE | VM_EXEC.
  return !(vma.flags.has('VM_READ') || vma.flags.has('VM_WRITE') || vma.flags.has('VM_EXEC'));
}

/** :1462 handle_page_fault, user mode: do_kern_addr_fault (:1134) or do_user_addr_fault (:1207). */
export function handle_page_fault(
  mm: Mm,
  report: Readonly<Record<string, unknown>>,
  cfg: KernelConfig,
  vaBits: number,
): PageFaultEntry {
  const error_code = Number(BigInt(report.error_code as U64 | string));
  const address = report.address as U64;
  if (!(error_code & X86_PF_USER))
    throw new VectorFormatError(
      'a fault taken in user mode has X86_PF_USER in its error code',
      '/args/error_code',
    );
  if (error_code & X86_PF_PK)
    throw new VectorFormatError(
      'X86_PF_PK needs protection keys (CR4.PKE), which the model does not enable',
      '/args/error_code',
    );
  const vsyscall = (address & PAGE_MASK) === VSYSCALL_ADDR;
  // :1115 fault_in_kernel_space: TASK_SIZE_MAX is (1 << 47) - PAGE_SIZE, or (1 << 56) - PAGE_SIZE with LA57.
  const taskSizeMax = (1n << BigInt(vaBits - 1)) - 4096n;
  if (!vsyscall && address >= taskSizeMax) return signal('SIGSEGV', 'SEGV_MAPERR', address); // bad_area_nosemaphore
  if (error_code & X86_PF_RSVD)
    throw new UnsupportedError('X86_PF_RSVD: the kernel oopses (pgtable_bad)');
  let flags = FAULT_FLAG_DEFAULT;
  if (error_code & (X86_PF_SHSTK | X86_PF_WRITE)) flags |= FAULT_FLAG_WRITE;
  if (error_code & X86_PF_INSTR) flags |= FAULT_FLAG_INSTRUCTION;
  flags |= FAULT_FLAG_USER;
  if (vsyscall) throw new UnsupportedError('the vsyscall page is emulated (emulate_vsyscall)');
  return faultOnVma(mm, address, address, flags, (vma) => access_error(error_code, vma, cfg));
}
