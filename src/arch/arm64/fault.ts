// arch/arm64/mm/fault.c (Linux v6.19): do_mem_abort for a data or instruction abort taken from EL0,
// up to the first call of handle_mm_fault. Model choices: no GCS and no POE (no shadow-stack or
// protection-key faults), no MTE tag-check faults, no RAS (do_sea is unsupported), AArch64 tasks
// (TASK_SIZE is 1 << the mode's VA bits), and the VMA lock is never contended.

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
  flush,
  ptep_get,
  set_pte_at,
  VM_FAULT_HWPOISON,
  VM_FAULT_HWPOISON_LARGE,
  VM_FAULT_OOM,
  VM_FAULT_SIGBUS,
  type ArchUserFault,
} from '../../mm/vm-fault.ts';
import type { Mm } from '../../mm/state.ts';
import type { VmFlag } from '../../mm/vm-flags.ts';

// arch/arm64/include/asm/esr.h
const ESR_ELx_EC_IABT_LOW = 0x20;
const ESR_ELx_EC_DABT_LOW = 0x24;
const ESR_ELx_WNR = 1n << 6n;
const ESR_ELx_CM = 1n << 8n;
const ESR_ELx_FSC = 0x3fn;

/** ESR_ELx_EC: bits 31:26. */
const ESR_ELx_EC = (esr: U64): number => Number((esr >> 26n) & 0x3fn);

/** untagged_addr: bits 63:56 as a sign extension of bit 55 (include/linux/bitops.h sign_extend64). */
const untagged = (far: U64): U64 =>
  (far & (1n << 55n)) !== 0n ? far | (0xffn << 56n) : far & ((1n << 56n) - 1n);

/** :556 do_page_fault, from EL0. */
function do_page_fault(mm: Mm, far: U64, esr: U64, cfg: KernelConfig): PageFaultEntry {
  const addr = untagged(far);
  let flags = FAULT_FLAG_DEFAULT | FAULT_FLAG_USER;
  let vm_flags: VmFlag[];
  if (ESR_ELx_EC(esr) === ESR_ELx_EC_IABT_LOW) {
    vm_flags = ['VM_EXEC'];
    flags |= FAULT_FLAG_INSTRUCTION;
  } else if ((esr & ESR_ELx_WNR) !== 0n && (esr & ESR_ELx_CM) === 0n) {
    vm_flags = ['VM_WRITE']; // is_write_abort: a cache maintenance operation is not a write
    flags |= FAULT_FLAG_WRITE;
  } else {
    // Any of these lets a read through; without EPAN an exec-only mapping is readable too.
    vm_flags = cfg.ARM64_HAS_EPAN ? ['VM_READ', 'VM_WRITE'] : ['VM_READ', 'VM_WRITE', 'VM_EXEC'];
  }
  return faultOnVma(mm, addr, far, flags, (vma) => !vm_flags.some((f) => vma.flags.has(f)));
}

/** :928 do_mem_abort(far, esr, regs): the step's members. */
export const arm64EntryForm: ArgsForm = {
  arch: 'arm64',
  op: 'do_mem_abort',
  members: ['mm', 'esr', 'far'],
  what: 'current->mm, ESR_EL1 and FAR_EL1',
};

/** :928 do_mem_abort over the fault_info table (:861), for the FSCs the model knows. */
export function do_mem_abort(
  mm: Mm,
  report: Readonly<Record<string, unknown>>,
  cfg: KernelConfig,
  vaBits: number,
): PageFaultEntry {
  const esr = report.esr as U64;
  const far = report.far as U64;
  const ec = ESR_ELx_EC(esr);
  if (ec !== ESR_ELx_EC_DABT_LOW && ec !== ESR_ELx_EC_IABT_LOW)
    throw new VectorFormatError(
      'an abort from EL0 has EC 0x24 (data) or 0x20 (instruction)',
      '/args/esr',
    );
  if (untagged(far) !== far)
    throw new VectorFormatError('a tagged FAR (top byte in use) is not modelled', '/args/far');
  const fsc = Number(esr & ESR_ELx_FSC);
  const ttbr0 = far < 1n << BigInt(vaBits); // is_ttbr0_addr: addr < TASK_SIZE
  // do_bad, then arm64_notify_die: arm64_force_sig_fault (traps.c:265) sends SIGKILL with force_sig,
  // whose siginfo is cleared (kernel/signal.c:1635): the address is not reported.
  if (fsc <= 0x03) return signal('SIGKILL', 'SI_KERNEL', 0n);
  if (fsc <= 0x07)
    // do_translation_fault; do_bad_area for a TTBR1 address sends fault_info's SIGSEGV/SEGV_MAPERR.
    return ttbr0 ? do_page_fault(mm, far, esr, cfg) : signal('SIGSEGV', 'SEGV_MAPERR', far);
  if (fsc <= 0x0f) return do_page_fault(mm, far, esr, cfg); // access flag and permission faults
  if (fsc === 0x21) return signal('SIGBUS', 'BUS_ADRALN', far); // do_alignment_fault: do_bad_area
  throw new UnsupportedError(
    `fault status 0x${fsc.toString(16)} (do_sea, MTE or do_bad) is not modelled`,
  );
}

const PTE_VALID = 1n;
const PTE_RDONLY = 1n << 7n;
const PTE_AF = 1n << 10n;
const PTE_WRITE = 1n << 51n;
const PTE_CONT = 1n << 52n;
const PTE_DIRTY = 1n << 55n;
/** pgtable-hwdef.h:177: BIT(63) | GENMASK(58, 55). */
const PTE_SWBITS_MASK = (1n << 63n) | (0xfn << 55n);

/** The fault loop's arm64 side: do_mem_abort's ESR, the error handling, and the TLB hooks. */
export const arm64UserFault: ArchUserFault = {
  // ESR_ELx: EC 31:26, IL 25 (a 32-bit instruction), WnR 6, FSC 5:0; CM is 0 for a load or store.
  entryArgs: (r) =>
    'ec' in r && (r.ec === ESR_ELx_EC_DABT_LOW || r.ec === ESR_ELx_EC_IABT_LOW) && r.fsc < 0x10
      ? {
          esr: (BigInt(r.ec) << 26n) | (1n << 25n) | (r.wnr ? ESR_ELx_WNR : 0n) | BigInt(r.fsc),
          far: r.far,
        }
      : undefined,
  // :700-775, do_page_fault's tail for a user fault.
  mm_fault_error(ret, args) {
    const far = args.far as U64;
    if (ret & VM_FAULT_OOM) return { kind: 'pagefault_out_of_memory' };
    if (ret & VM_FAULT_SIGBUS)
      return { kind: 'signal', signal: { signo: 'SIGBUS', code: 'BUS_ADRERR', addr: far } };
    if (ret & (VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE))
      return { kind: 'signal', signal: { signo: 'SIGBUS', code: 'BUS_MCEERR_AR', addr: far } };
    return { kind: 'signal', signal: { signo: 'SIGSEGV', code: 'SEGV_MAPERR', addr: far } };
  },
  hooks: {
    // pgtable.h:1908 ptep_set_access_flags → mm/fault.c:207 __ptep_set_access_flags.
    ptep_set_access_flags(f, vmf, entry, dirty) {
      const pte = ptep_get(f, vmf.pte!);
      if ((pte & (PTE_VALID | PTE_CONT)) === (PTE_VALID | PTE_CONT))
        throw new UnsupportedError(
          'contpte_ptep_set_access_flags (a PTE_CONT range) is not modelled',
        );
      entry &= ~PTE_CONT; // pte_mknoncont
      if (pte === entry) return false;
      // Keep only the access flags and write permission; PTE_RDONLY is the AND of old and new.
      entry = (entry & (PTE_RDONLY | PTE_AF | PTE_WRITE | PTE_DIRTY)) ^ PTE_RDONLY;
      set_pte_at(f, vmf, vmf.pte!, ((pte ^ PTE_RDONLY) | entry) ^ PTE_RDONLY);
      if (dirty) flush(f, 'local_flush_tlb_page', vmf.address, 'local');
      return true;
    },
    // pgtable.h:1593: empty.
    update_mmu_cache: () => undefined,
    update_mmu_tlb: () => undefined,
    // pgtable.h:138: local_flush_tlb_page_nonotify.
    flush_tlb_fix_spurious_fault: (f, addr) =>
      flush(f, 'flush_tlb_fix_spurious_fault', addr, 'local'),
    pte_accessible: (_f, pte) => (pte & PTE_VALID) !== 0n, // pgtable.h:235, no flush pending
    // tlbflush.h:585 __pte_flags_need_flush: a valid PTE that changed outside the SW bits.
    pte_needs_flush: (_f, oldpte, newpte) =>
      (oldpte & PTE_VALID) !== 0n && ((oldpte ^ newpte) & ~PTE_SWBITS_MASK) !== 0n,
    mmu_gather_merge_vmas: false,
    // tlbflush.h:351 (no ARM64_WORKAROUND_REPEAT_TLBI); :578 add_pending issues the TLBIs, :375 the
    // batch flush is a DSB.
    tlbbatch: { should_defer: () => true, add_pending_flushes: true, batch_flush: 'none' },
  },
};
