// mm/mprotect.c (Linux v6.19) :41-103: whether change_protection may make a PTE writable at once,
// as the write-fault handler would, instead of leaving the first write to fault.

import { MASK64, type U64 } from '../bits/u64.ts';
import { UnsupportedError } from '../errors.ts';
import type { EntryChange } from './pgtable.ts';
import type { VmFlag } from './vm-flags.ts';
import { flushRange, type FaultEnv, type FaultEvent } from './vm-fault.ts';
import { change_protection, eachPte } from './change_protection.ts';
import { MM_CP_TRY_CHANGE_WRITABLE } from './mm_cp.ts';
import { MmuGather } from './mmu_gather.ts';
import type { Vma } from './state.ts';
import { vma_set_page_prot, vma_wants_manual_pte_write_upgrade, type VmaEnv } from './vma.ts';

const PROT_BITS: Readonly<Record<string, VmFlag>> = {
  PROT_READ: 'VM_READ',
  PROT_WRITE: 'VM_WRITE',
  PROT_EXEC: 'VM_EXEC',
};
const ACCESS: readonly VmFlag[] = ['VM_READ', 'VM_WRITE', 'VM_EXEC'];
const MAY: Readonly<Record<string, VmFlag>> = {
  VM_READ: 'VM_MAYREAD',
  VM_WRITE: 'VM_MAYWRITE',
  VM_EXEC: 'VM_MAYEXEC',
};
const ENOMEM = -12;
const EACCES = -13;
const EINVAL = -22;

/** What mprotect did (schemas MprotectResult). */
export interface MprotectResult {
  readonly kind: 'mprotect';
  readonly ret: number;
  readonly vmas: readonly {
    readonly name: string;
    readonly flags: readonly VmFlag[];
    readonly vm_page_prot: U64;
  }[];
  readonly events: readonly FaultEvent[];
  readonly changes: readonly EntryChange[];
}

/**
 * :801 do_mprotect_pkey(start, len, prot, -1) without PROT_GROWSDOWN/UP, protection keys or
 * READ_IMPLIES_EXEC: each VMA of [start, end) through mprotect_fixup, one mmu_gather for all.
 * Model choice: VMAs are neither split nor merged, so a range that would split one is unsupported.
 */
export function do_mprotect_pkey(
  f: FaultEnv,
  e: VmaEnv,
  start: U64,
  len: U64,
  prot: readonly string[],
): number {
  const shift = BigInt(f.t.pageShift);
  const page = 1n << shift;
  if (start & (page - 1n)) return EINVAL;
  if (len === 0n) return 0;
  const end = start + ((len + page - 1n) & ~(page - 1n));
  if (end <= start || end > MASK64) return ENOMEM;
  const vmas = f.mm.vmas.filter((v) => v.end > start && v.start < end);
  if (vmas.length === 0 || vmas[0]!.start > start) return ENOMEM;
  const tlb = new MmuGather(f);
  let tmp = vmas[0]!.start;
  let error = 0;
  for (const vma of vmas) {
    if (vma.start !== tmp) {
      error = ENOMEM;
      break;
    }
    const nstart = start > vma.start ? start : vma.start;
    tmp = vma.end < end ? vma.end : end;
    if (nstart !== vma.start || tmp !== vma.end)
      throw new UnsupportedError('mprotect of part of a VMA (vma_modify_flags splits it)');
    // calc_vm_prot_bits, the old flags but VM_ACCESS_FLAGS and the pkey bits.
    const newflags = new Set<VmFlag>(
      [...vma.flags].filter((x) => !ACCESS.includes(x) && !x.startsWith('VM_PKEY_BIT')),
    );
    for (const p of prot) newflags.add(PROT_BITS[p]!);
    if (ACCESS.some((x) => newflags.has(x) && !newflags.has(MAY[x]!))) {
      error = EACCES;
      break;
    }
    mprotect_fixup(f, e, tlb, vma, newflags);
  }
  tlb.finish();
  if (!error && tmp < end) error = ENOMEM;
  return error;
}

/** :695 mprotect_fixup for a whole VMA (no VM_ACCOUNT bookkeeping: nothing the model shows). */
function mprotect_fixup(
  f: FaultEnv,
  e: VmaEnv,
  tlb: MmuGather,
  vma: Vma,
  newflags: Set<VmFlag>,
): void {
  const same = newflags.size === vma.flags.size && [...newflags].every((x) => vma.flags.has(x));
  if (same) return;
  f.vmPageProt(vma); // the vm_page_prot mmap left, from the old flags, before they change
  const flags = vma.flags as Set<VmFlag>;
  flags.clear();
  for (const x of newflags) flags.add(x);
  if (f.config.variant === 'seed-2005-page_mkwrite') {
    // The seed's rule: protection_map[newflags & mask], VM_SHARED masked off for page_mkwrite.
    const masked = new Set(
      [...newflags].filter(
        (x) => ACCESS.includes(x) || (x === 'VM_SHARED' && !vma.vmOps.has('page_mkwrite')),
      ),
    );
    vma.vmPageProt = e.vm_get_page_prot(masked);
    vma.pageProtSet = true;
    change_protection_2005(f, tlb, vma);
    return;
  }
  const cp_flags = vma_wants_manual_pte_write_upgrade(e, vma) ? MM_CP_TRY_CHANGE_WRITABLE : 0;
  vma_set_page_prot(e, vma);
  change_protection(f, e, tlb, vma, vma.start, vma.end, cp_flags);
  tlb.endVma();
}

/** The seed's change_protection (2.6.14 mm/mprotect.c): pte_modify of each present PTE, then flush_tlb_range. */
function change_protection_2005(f: FaultEnv, tlb: MmuGather, vma: Vma): void {
  eachPte(f, vma.start, vma.end, (pa, addr) => {
    const oldpte = f.t.read(pa);
    if (f.helper('pte_present', { pte: oldpte }) !== true) return;
    f.t.write(
      f.mm.tree,
      4,
      pa,
      addr,
      f.helper('pte_modify', { value: oldpte, prot: vma.vmPageProt! }) as U64,
    );
  });
  flushRange(f, 'flush_tlb_range', vma.start, vma.end);
}
