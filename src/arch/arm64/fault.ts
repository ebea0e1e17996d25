// arch/arm64/mm/fault.c (Linux v6.19): do_mem_abort for a data or instruction abort taken from EL0,
// up to the first call of handle_mm_fault. Model choices: no GCS and no POE (no shadow-stack or
// protection-key faults), no MTE tag-check faults, no RAS (do_sea is unsupported), AArch64 tasks
// (TASK_SIZE is 1 << the mode's VA bits), and the VMA lock is never contended.

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
