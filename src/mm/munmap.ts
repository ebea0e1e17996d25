// munmap(2) and exit_mmap as Linux v6.19 writes them: mm/mmap.c:1074 SYSCALL munmap → mm/vma.c:3237
// __vm_munmap → :1605 do_vmi_munmap → :1558 do_vmi_align_munmap (:1373 vms_gather_munmap_vmas with
// :497 __split_vma and fs/userfaultfd.c:833 userfaultfd_unmap_prep; :1305 vms_complete_munmap_vmas
// → :1256 vms_clear_ptes: mm/memory.c:2086 unmap_vmas, then free_pgtables), then fs/userfaultfd.c:859
// userfaultfd_unmap_complete; and mm/mmap.c:1251 exit_mmap.
//
// Model choices: VMAs are never sealed (there is no VM_SEALED flag, so the -EPERM of mm/vma.c:1397
// and :1417 never happens), no vm_ops->may_split/open/close, no hugetlb VMA and no huge PMD where a
// VMA is split or zapped (unsupported), map_count is the number of VMAs of the mm, allocations never
// fail, no mmu notifier subscriptions, no PTI user copy of the PGD (x86 native_p4d_clear and
// native_pgd_clear also clear it: arch/x86/include/asm/pgtable_64.h:140-168). Naming: the remainder
// of a split VMA below the range keeps its name, the remainder above it is `<name>_2` (the first
// `<name>_<k>`, k >= 2, no VMA has).

import type { U64 } from '../bits/u64.ts';
import type { Arch } from '../config.ts';
import { UnsupportedError } from '../errors.ts';
import { free_pgtables, TeardownGather } from './free_pgtables.ts';
import type { UffdCtx, Vma } from './state.ts';
import type { FaultEnv } from './vm-fault.ts';
import { zap_page_range, type ZapDetails } from './zap.ts';

const EINVAL = -22;
const ENOMEM = -12;

/** include/linux/mm.h:205-206 DEFAULT_MAX_MAP_COUNT: vm.max_map_count's default (mm/util.c:755). */
const DEFAULT_MAX_MAP_COUNT = 65535 - 5;

/** mm/memory.c:2091-2095 unmap_vmas: ZAP_FLAG_DROP_MARKER | ZAP_FLAG_UNMAP, even_cows. */
const UNMAP_DETAILS: ZapDetails = { even_cows: true, reclaim_pt: false, dropMarker: true };

/** A UFFD_EVENT_UNMAP message (include/uapi/linux/userfaultfd.h:155, arg.remove :134-137). */
export interface UffdUnmapMsg {
  readonly uffd: string;
  readonly event: 'UFFD_EVENT_UNMAP';
  readonly start: U64;
  readonly end: U64;
}

/**
 * TASK_SIZE of a 64-bit task: x86_64 task_size_max() (arch/x86/include/asm/page_64.h:94-102:
 * (1 << 47) - PAGE_SIZE, with LA57 (1 << 56) - PAGE_SIZE); arm64 TASK_SIZE_64 = 1 << vabits_actual
 * (arch/arm64/include/asm/processor.h:56); riscv64 TASK_SIZE_64 = PGDIR_SIZE * PTRS_PER_PGD / 2
 * (arch/riscv/include/asm/pgtable.h:1221).
 */
export function taskSize(arch: Arch, vaBits: number): U64 {
  if (arch === 'x86_64') return (1n << BigInt(vaBits - 1)) - 4096n;
  if (arch === 'arm64') return 1n << BigInt(vaBits);
  return 1n << BigInt(vaBits - 1);
}

/**
 * untagged_addr of the syscall (mm/mmap.c:1076). arm64 clears the tag byte of a user address
 * (arch/arm64/include/asm/memory.h:282-289: addr & sign_extend64(addr, 55)). Model choice: x86 has no
 * LAM and riscv no pointer masking enabled, so theirs is the identity.
 */
function untagged_addr(arch: Arch, addr: U64): U64 {
  if (arch !== 'arm64' || addr & (1n << 55n)) return addr;
  return addr & ((1n << 56n) - 1n);
}

/** The name of a new VMA: `<name>_<k>`, the first k >= 2 that no VMA of the state has. */
function freshName(f: FaultEnv, name: string): string {
  for (let k = 2; ; k++) if (!f.st.vmas.has(`${name}_${k}`)) return `${name}_${k}`;
}

/** A copy of `vma` over [start, end): vm_area_dup (mm/vma_init.c:41-78) with the new bounds. */
function dup(vma: Vma, name: string, start: U64, end: U64, pageShift: U64): Vma {
  return {
    ...vma,
    name,
    start,
    end,
    pgoff: vma.pgoff + ((start - vma.start) >> pageShift),
    flags: new Set(vma.flags),
  };
}

/** The VMAs of the state by name (LinuxState.vmas is read-only to the ops that only read it). */
const byName = (f: FaultEnv) => f.st.vmas as Map<string, Vma>;

/**
 * mm/vma.c:497 __split_vma(vma, addr): the two parts replace `vma` in the mm. Both are copies: the
 * kernel's vm_area_dup copy keeps vm_flags (:52) and vm_userfaultfd_ctx (:60-61), and so does the
 * original for its part (:558-562). A huge leaf straddling `addr` would be split by
 * vma_adjust_trans_huge (:554): not modelled.
 */
function split(f: FaultEnv, vma: Vma, addr: U64, lowerName: string, upperName: string): [Vma, Vma] {
  const t = f.t;
  let pa = 0;
  const root = f.m.treeRoot(f.mm.tree);
  for (const c of [0, 1, 2, 3] as const) {
    pa = t.offset(c, pa, addr, root);
    const v = t.read(pa);
    if (t.chain[c]!.last && (t.none(c, v) || !t.present(c, v))) break;
    if ((c === 2 || c === 3) && t.leaf(c, v) && (addr & (t.size(c) - 1n)) !== 0n)
      throw new UnsupportedError(
        'splitting a huge PMD or PUD (vma_adjust_trans_huge) is not modelled',
      );
  }
  const lo = dup(vma, lowerName, vma.start, addr, t.pageShiftN);
  const hi = dup(vma, upperName, addr, vma.end, t.pageShiftN);
  const vmas = f.mm.vmas;
  vmas.splice(vmas.indexOf(vma), 1, lo, hi);
  return [lo, hi];
}

/** fs/userfaultfd.c:833 userfaultfd_unmap_prep: one entry per (ctx, start, end), for EVENT_UNMAP. */
function userfaultfd_unmap_prep(
  vma: Vma,
  start: U64,
  end: U64,
  unmaps: { ctx: UffdCtx; start: U64; end: U64 }[],
): void {
  const ctx = vma.uffd;
  if (!ctx || !ctx.features?.has('EVENT_UNMAP')) return;
  if (unmaps.some((u) => u.ctx === ctx && u.start === start && u.end === end)) return;
  // :847-850 atomic_inc(&ctx->mmap_changing), dropped again once the event is read (:621-624).
  unmaps.push({ ctx, start, end });
}

/** The VMAs leave the mm (remove_vma, mm/vma.c:460), and the state's names follow the mm. */
function detach(f: FaultEnv, gone: readonly Vma[], was: readonly Vma[]): void {
  const vmas = f.mm.vmas;
  for (const v of gone) vmas.splice(vmas.indexOf(v), 1);
  for (const v of was) if (byName(f).get(v.name) === v) byName(f).delete(v.name);
  for (const v of vmas) byName(f).set(v.name, v);
}

/** mm/memory.c:2086 unmap_vmas over whole VMAs (munmap's are split to the range already). */
function unmap_vmas(f: FaultEnv, tlb: TeardownGather, vmas: readonly Vma[]): void {
  for (const vma of vmas) {
    // :2043 unmap_single_vma of a hugetlb VMA: __unmap_hugepage_range, not modelled.
    tlb.startVma(vma);
    zap_page_range(f, vma, vma.start, vma.end, UNMAP_DETAILS, tlb);
  }
}

/** The result of munmap: the return value and the UFFD_EVENT_UNMAP messages, in the order sent. */
export interface MunmapOut {
  readonly ret: number;
  readonly unmaps: readonly UffdUnmapMsg[];
}

/** munmap(addr, len) of the mm of `f`, as the syscall makes it (__vm_munmap with unlock = true). */
export function sys_munmap(
  f: FaultEnv,
  arch: Arch,
  vaBits: number,
  addr: U64,
  len: U64,
): MunmapOut {
  const none = (ret: number): MunmapOut => ({ ret, unmaps: [] });
  const t = f.t;
  const TASK_SIZE = taskSize(arch, vaBits);
  const start = untagged_addr(arch, addr);
  // mm/vma.c:1612-1617 do_vmi_munmap.
  if (start & (t.pageSize - 1n) || start > TASK_SIZE || len > TASK_SIZE - start)
    return none(EINVAL);
  const end = start + ((len + t.pageSize - 1n) & ~(t.pageSize - 1n));
  if (end === start) return none(EINVAL);
  // :1620 vma_find(vmi, end): the first VMA that ends above start and begins below end; none: 0.
  const mm = f.mm;
  const first = mm.vmas.find((v) => v.end > start && v.start < end);
  if (!first) return none(0);
  if (mm.vmas.some((v) => v.end > start && v.start < end && v.flags.has('VM_HUGETLB')))
    throw new UnsupportedError('munmap of hugetlb memory (hugetlb_split, __unmap_hugepage_range)');
  // :1373 vms_gather_munmap_vmas.
  const was = mm.vmas.filter((v) => v.end > start && v.start < end);
  if (start > first.start) {
    // :1390-1394 a hole in the middle needs one more VMA.
    if (end < first.end && mm.vmas.length >= DEFAULT_MAX_MAP_COUNT) return none(ENOMEM);
    // :1402 __split_vma(vma, start, new_below = 1): the part below start stays.
    split(f, first, start, first.name, first.name);
  }
  // :1406-1408 the VMA below the range (after the split) bounds free_pgtables from below.
  const prev = mm.vmas.filter((v) => v.end <= start).at(-1);
  const unmap_start = prev ? prev.end : 0n;
  const detached: Vma[] = [];
  const unmaps: { ctx: UffdCtx; start: U64; end: U64 }[] = [];
  for (const next of mm.vmas.filter((v) => v.start < end && v.end > start)) {
    let gone = next;
    if (next.end > end) {
      // :1422-1426 __split_vma(next, end, new_below = 0): the part above end stays.
      gone = split(f, next, end, next.name, freshName(f, next.name))[0];
    }
    detached.push(gone);
    // :1450-1464 with the whole aligned range, not the VMA's part of it.
    userfaultfd_unmap_prep(gone, start, end, unmaps);
  }
  // :1471-1473 the VMA above the range bounds free_pgtables from above.
  const nextVma = mm.vmas.find((v) => v.start >= end);
  const unmap_end = nextVma ? nextVma.start : 0n;
  // :1574 vma_iter_clear_gfp, then :1578 vms_complete_munmap_vmas → :1256 vms_clear_ptes.
  // Model choice: the VMAs leave mm.vmas after their PTEs are cleared (no other thread looks).
  const tlb = new TeardownGather(f, arch, false);
  unmap_vmas(f, tlb, detached);
  free_pgtables(f, tlb, detached, unmap_start, unmap_end);
  tlb.finish();
  detach(f, detached, was);
  // mm/vma.c:3251 userfaultfd_unmap_complete (fs/userfaultfd.c:859): each message is read at once
  // (Model choice: the monitor reads it, so the munmap caller does not stay blocked).
  return {
    ret: 0,
    unmaps: unmaps.map((u) => ({
      uffd: u.ctx.name,
      event: 'UFFD_EVENT_UNMAP',
      start: u.start,
      end: u.end,
    })),
  };
}

/**
 * mm/mmap.c:1251 exit_mmap: unmap_vmas of every VMA over [0, ULONG_MAX) with a full-mm gather
 * (:1274-1277), free_pgtables with FIRST_USER_ADDRESS and USER_PGTABLES_CEILING (both 0:
 * include/linux/pgtable.h:31-42) (:1287-1289), tlb_finish_mmu (:1290), then every VMA goes (:1297).
 * Model choices: no mmu notifiers (mmu_notifier_release), and x86's arch_exit_mmap frees no LDT
 * tables (no modify_ldt, arch/x86/kernel/ldt.c:393-413).
 */
export function exit_mmap(f: FaultEnv, arch: Arch): void {
  const vmas = [...f.mm.vmas];
  // :1265-1271 no VMA: straight to destroy, no mmu_gather at all.
  if (vmas.length === 0) return;
  if (vmas.some((v) => v.flags.has('VM_HUGETLB')))
    throw new UnsupportedError('exit_mmap of hugetlb memory (__unmap_hugepage_range)');
  const tlb = new TeardownGather(f, arch, true);
  unmap_vmas(f, tlb, vmas);
  free_pgtables(f, tlb, vmas, 0n, 0n);
  tlb.finish();
  detach(f, vmas, vmas);
}
