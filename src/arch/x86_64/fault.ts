// arch/x86/mm/fault.c (Linux v6.19): the entry of a #PF taken in user mode, up to its first call of
// handle_mm_fault. Model choices: no protection keys (X86_FEATURE_OSPKE off, so PKRU reads 0 and every
// key is allowed; the CPU then never sets X86_PF_PK), the vsyscall page is not emulated, the faulting
// instruction is never a prefetch, and the VMA lock is never contended.

import type { U64 } from '../../bits/u64.ts';
import type { KernelConfig } from '../../config.ts';
import { UnsupportedError, VectorFormatError } from '../../errors.ts';
import type { ArgsForm } from '../../ops/args.ts';
import {
  FAULT_FLAG_DEFAULT,
  FAULT_FLAG_INSTRUCTION,
  FAULT_FLAG_USER,
  FAULT_FLAG_WRITE,
  faultOnVma,
  signal,
  type PageFaultEntry,
} from '../../mm/fault-flags.ts';
import {
  ptep_get,
  set_pte_at,
  VM_FAULT_HWPOISON,
  VM_FAULT_HWPOISON_LARGE,
  VM_FAULT_OOM,
  VM_FAULT_SIGBUS,
  type ArchUserFault,
  type FaultEnv,
} from '../../mm/vm-fault.ts';
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

/** :1462 handle_page_fault(regs, error_code, address): the step's members. */
export const x86EntryForm: ArgsForm = {
  arch: 'x86_64',
  op: 'handle_page_fault',
  members: ['mm', 'error_code', 'address'],
  what: 'current->mm, the #PF error code and CR2',
};

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

// arch/x86/include/asm/tlbflush.h:365 pte_flags_need_flush, CONFIG_DEBUG_VM off.
const _PAGE_PRESENT = 1n << 0n;
const FLUSH_ON_CLEAR = _PAGE_PRESENT | (1n << 6n) | (1n << 5n); // DIRTY, ACCESSED
const SOFTWARE_FLAGS = (1n << 9n) | (1n << 10n) | (1n << 11n) | (1n << 57n) | (1n << 58n);
// RW USER PWT PCD PSE/PAT GLOBAL PAT_LARGE PKEY_BIT0..3 NX
const FLUSH_ON_CHANGE =
  (1n << 1n) |
  (1n << 2n) |
  (1n << 3n) |
  (1n << 4n) |
  (1n << 7n) |
  (1n << 8n) |
  (1n << 12n) |
  (0xfn << 59n) |
  (1n << 63n);
const PTE_FLAGS_MASK = ~0x000ffffffffff000n & 0xffffffffffffffffn;

/** :417 pte_needs_flush: a present PTE whose PFN changed or whose permissions were demoted. */
function pte_needs_flush(f: FaultEnv, oldpte: U64, newpte: U64): boolean {
  if (!(oldpte & _PAGE_PRESENT)) return false;
  if (f.helper('pte_pfn', { value: oldpte }) !== f.helper('pte_pfn', { value: newpte }))
    return true;
  const oldflags = oldpte & PTE_FLAGS_MASK;
  let diff = (oldflags ^ (newpte & PTE_FLAGS_MASK)) & ~SOFTWARE_FLAGS;
  diff &= ~(1n << 5n); // ignore_access
  return (diff & oldflags & FLUSH_ON_CLEAR) !== 0n || (diff & FLUSH_ON_CHANGE) !== 0n;
}

/** The fault loop's x86 side: the #PF entry's arguments, mm_fault_error, and the TLB hooks. */
export const x86UserFault: ArchUserFault = {
  entryArgs: (r) =>
    'exception' in r && r.exception === '#PF'
      ? { error_code: BigInt(r.errorCode), address: r.cr2 }
      : undefined,
  // :1415 the tail of do_user_addr_fault; :907 do_sigbus.
  mm_fault_error(ret, args, cfg) {
    const address = args.address as U64;
    if (ret & VM_FAULT_OOM) return { kind: 'pagefault_out_of_memory' };
    if (ret & (VM_FAULT_SIGBUS | VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE)) {
      const poison =
        cfg.CONFIG_MEMORY_FAILURE && (ret & (VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE)) !== 0;
      return {
        kind: 'signal',
        signal: { signo: 'SIGBUS', code: poison ? 'BUS_MCEERR_AR' : 'BUS_ADRERR', addr: address },
      };
    }
    return { kind: 'signal', signal: { signo: 'SIGSEGV', code: 'SEGV_MAPERR', addr: address } };
  },
  hooks: {
    // arch/x86/mm/pgtable.c:391: stores only a dirtying change; no flush.
    ptep_set_access_flags(f, vmf, entry, dirty) {
      const changed = ptep_get(f, vmf.pte!) !== entry;
      if (changed && dirty) set_pte_at(f, vmf, vmf.pte!, entry);
      return changed;
    },
    // arch/x86/include/asm/pgtable.h:1294, :1499: empty.
    update_mmu_cache: () => undefined,
    update_mmu_tlb: () => undefined,
    flush_tlb_fix_spurious_fault: () => undefined,
    pte_accessible: (_f, pte) => (pte & 1n) !== 0n,
    pte_needs_flush,
    mmu_gather_merge_vmas: true, // arch/x86/Kconfig:286
    // tlbflush.h:327 defer when a CPU other than reclaim's (0) runs the mm; arch/x86/mm/tlb.c:1729
    // arch_tlbbatch_flush: a full flush (no INVLPGB) of the gathered CPUs.
    tlbbatch: {
      should_defer: (cpus) => cpus.some((c) => c !== 0),
      add_pending_flushes: false,
      batch_flush: 'nonglobal',
    },
  },
};
