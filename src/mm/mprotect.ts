// mm/mprotect.c (Linux v6.19) :41-103: whether change_protection may make a PTE writable at once,
// as the write-fault handler would, instead of leaving the first write to fault.

import { MASK64, type U64 } from '../bits/u64.ts';
import { UnsupportedError, VectorFormatError } from '../errors.ts';
import type { ChainIndex, EntryChange } from './pgtable.ts';
import type { VmFlag } from './vm-flags.ts';
import { flushRange, type FaultEnv, type FaultEvent } from './vm-fault.ts';
import type { OpArgs, OpValue } from '../ops/types.ts';
import type { Vma } from './state.ts';
import {
  userfaultfd_wp,
  vma_set_page_prot,
  vma_soft_dirty_enabled,
  vma_wants_manual_pte_write_upgrade,
  type VmaEnv,
} from './vma.ts';

/** include/linux/mm.h MM_CP_TRY_CHANGE_WRITABLE. */
const MM_CP_TRY_CHANGE_WRITABLE = 1 << 0;

/** The arch's PTE helpers the decision reads. */
export type PteHelper = (name: string, a: OpArgs) => OpValue | undefined;

const is = (pte: PteHelper, name: string, v: U64): boolean => pte(name, { pte: v }) === true;

/** mm/internal.h:1564. */
const pte_needs_soft_dirty_wp = (e: VmaEnv, pte: PteHelper, vma: Vma, v: U64): boolean =>
  vma_soft_dirty_enabled(e, vma) && !is(pte, 'pte_soft_dirty', v);

/** include/linux/userfaultfd_k.h userfaultfd_pte_wp. */
const userfaultfd_pte_wp = (e: VmaEnv, pte: PteHelper, vma: Vma, v: U64): boolean =>
  userfaultfd_wp(e, vma) && is(pte, 'pte_uffd_wp', v);

/** :41. The WARN_ON_ONCE for a VMA without VM_WRITE is a caller's bug: a format error here. */
function maybe_change_pte_writable(e: VmaEnv, pte: PteHelper, vma: Vma, v: U64): boolean {
  if (!vma.flags.has('VM_WRITE'))
    throw new VectorFormatError(
      'can_change_pte_writable is for a VM_WRITE VMA (mm/mprotect.c:43 WARNs otherwise)',
      '/args/vma',
    );
  if (is(pte, 'pte_protnone', v)) return false;
  if (pte_needs_soft_dirty_wp(e, pte, vma, v)) return false;
  if (userfaultfd_pte_wp(e, pte, vma, v)) return false;
  return true;
}

/**
 * mm/memory.c:683 __vm_normal_page for a PTE, with CONFIG_ARCH_HAS_PTE_SPECIAL (all three arches) and
 * no vm_ops->find_normal_page: a special PTE, or a PFN beyond highest_memmap_pfn, has no page.
 */
function vm_normal_page(e: VmaEnv, pte: PteHelper, v: U64): U64 | null {
  if (is(pte, 'pte_special', v)) return null;
  const pfn = pte('pte_pfn', { value: v }) as U64;
  return pfn > e.st.highestPfn ? null : pfn;
}

/** :98 can_change_pte_writable, with :62 (private) and :80 (shared). */
export function can_change_pte_writable(
  e: VmaEnv,
  pte: PteHelper,
  vma: Vma,
  addr: U64,
  v: U64,
): boolean {
  if (addr < vma.start || addr >= vma.end)
    throw new VectorFormatError('expected an address inside the VMA', '/args/addr');
  if (!maybe_change_pte_writable(e, pte, vma, v)) return false;
  if (vma.flags.has('VM_SHARED')) return is(pte, 'pte_dirty', v);
  // Writable MAP_PRIVATE: only an exclusive anonymous page, as the write-fault handler would reuse.
  const pfn = vm_normal_page(e, pte, v);
  const page = pfn === null ? undefined : e.st.pages.get(pfn);
  return pfn !== null && (page?.anon ?? false) && (page?.exclusive ?? false);
}

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
  change_protection(f, e, tlb, vma, cp_flags);
  tlb.endVma();
}

/**
 * struct mmu_gather as change_protection uses it (include/asm-generic/tlb.h): the range of the PTEs
 * that need a flush, flushed at tlb_end_vma (unless the arch selects MMU_GATHER_MERGE_VMAS) and at
 * tlb_finish_mmu, as one `tlb_flush` event reaching the CPUs running the mm.
 */
class MmuGather {
  private start = MASK64;
  private end = 0n;
  constructor(private readonly f: FaultEnv) {}
  /** tlb_flush_pte_range. */
  adjust(addr: U64, size: U64): void {
    if (addr < this.start) this.start = addr;
    if (addr + size > this.end) this.end = addr + size;
  }
  /** tlb_flush_mmu_tlbonly: nothing when nothing was gathered. */
  flush(): void {
    if (this.end === 0n) return;
    flushRange(this.f, 'tlb_flush', this.start, this.end);
    this.start = MASK64;
    this.end = 0n;
  }
  endVma(): void {
    if (!this.f.arch.mmu_gather_merge_vmas) this.flush();
  }
  finish(): void {
    this.flush();
  }
}

/** Every PTE under the present tables of [start, end) in the mm's tree; a huge entry is unsupported. */
function eachPte(f: FaultEnv, start: U64, end: U64, cb: (pa: number, addr: U64) => void): void {
  const t = f.t;
  const below = (c: ChainIndex, pa: number): boolean => {
    const v = t.read(pa);
    if ((c === 2 || c === 3) && t.leaf(c, v))
      throw new UnsupportedError('change_protection of a huge PUD or PMD is not modelled');
    return !(t.chain[c]!.last && (t.none(c, v) || !t.present(c, v)));
  };
  t.descend(f.m.treeRoot(f.mm.tree), start, end, below, cb);
}

/** :633 change_protection → change_pte_range (:214) for present PTEs of order-0 folios. */
function change_protection(
  f: FaultEnv,
  e: VmaEnv,
  tlb: MmuGather,
  vma: Vma,
  cp_flags: number,
): void {
  const newprot = vma.vmPageProt!;
  const helper: PteHelper = (name, a) => f.helper(name, a);
  eachPte(f, vma.start, vma.end, (pa, addr) => {
    const oldpte = f.t.read(pa);
    if (!is(helper, 'pte_present', oldpte)) {
      if (is(helper, 'pte_none', oldpte)) return;
      throw new UnsupportedError(
        'change_protection of a non-present PTE (swap, migration, marker) is not modelled yet',
      );
    }
    let ptent = f.helper('pte_modify', { value: oldpte, prot: newprot }) as U64;
    if (cp_flags & MM_CP_TRY_CHANGE_WRITABLE && !is(helper, 'pte_write', ptent)) {
      if (can_change_pte_writable(e, helper, vma, addr, ptent))
        ptent = f.helper('pte_mkwrite', { pte: ptent, vmFlags: vma.flags }) as U64;
    }
    // modify_prot_start_ptes / modify_prot_commit_ptes: the value read is the one replaced.
    f.t.write(f.mm.tree, 4, pa, addr, ptent);
    if (f.arch.pte_needs_flush(f, oldpte, ptent)) tlb.adjust(addr, 1n << BigInt(f.t.pageShift));
  });
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
