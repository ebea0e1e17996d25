// The userfaultfd ioctls (Linux v6.19 fs/userfaultfd.c, mm/userfaultfd.c): UFFDIO_API (:1972),
// UFFDIO_REGISTER (:1261, register_range mm/userfaultfd.c:2011), UFFDIO_UNREGISTER (:1435,
// userfaultfd_clear_vma mm/userfaultfd.c:1975), UFFDIO_WRITEPROTECT (:1718, mwriteprotect_range
// :936, uffd_wp_range :907) and UFFDIO_WAKE (:1572). Model choice: VMAs are neither split nor merged,
// so a range that would split one is unsupported.

import type { U64 } from '../bits/u64.ts';
import { UnsupportedError, VectorFormatError } from '../errors.ts';
import { change_protection } from './change_protection.ts';
import { MM_CP_TRY_CHANGE_WRITABLE, MM_CP_UFFD_WP, MM_CP_UFFD_WP_RESOLVE } from './mm_cp.ts';
import { MmuGather } from './mmu_gather.ts';
import type { LinuxState, UffdCtx, Vma } from './state.ts';
import { UFFD_FEATURES } from './userfaultfd-setup.ts';
import {
  pgtable_supports_uffd_wp,
  uffd_supports_wp_marker,
  userfaultfd_missing,
  userfaultfd_wp,
  vma_can_userfault,
  type IsShmem,
  type UffdEnv,
} from './userfaultfd_k.ts';
import type { FaultEnv } from './vm-fault.ts';
import type { VmFlag } from './vm-flags.ts';
import { vma_set_page_prot, vma_wants_manual_pte_write_upgrade, type VmaEnv } from './vma.ts';

export const EPERM = -1;
export const ENOENT = -2;
export const EAGAIN = -11;
export const EBUSY = -16;
export const EINVAL = -22;

/** UFFD_API_IOCTLS and the range ioctls by bit (include/uapi/linux/userfaultfd.h:46-82). */
const API_IOCTLS = ['UFFDIO_REGISTER', 'UFFDIO_UNREGISTER', 'UFFDIO_API'];
const RANGE_IOCTLS = [
  'UFFDIO_WAKE',
  'UFFDIO_COPY',
  'UFFDIO_ZEROPAGE',
  'UFFDIO_MOVE',
  'UFFDIO_WRITEPROTECT',
  'UFFDIO_CONTINUE',
  'UFFDIO_POISON',
];
const BASIC_RANGE_IOCTLS = RANGE_IOCTLS.filter(
  (x) => x !== 'UFFDIO_ZEROPAGE' && x !== 'UFFDIO_MOVE',
);

/** What the ioctls work on: the fault env of the context's mm, VMA decisions, shmem. */
export interface UffdIoEnv {
  readonly f: FaultEnv;
  readonly e: VmaEnv;
  readonly isShmem: IsShmem;
  /** mm->task_size. */
  readonly taskSize: U64;
  /** mmap_min_addr (the Kconfig default of the arch: model choice). */
  readonly mmapMinAddr: U64;
}

/** The features UFFDIO_API reports under this arch and config (:1996-2009). */
function supportedFeatures(e: UffdEnv): Set<string> {
  const reported = new Set<string>(UFFD_FEATURES);
  // CONFIG_HAVE_ARCH_USERFAULTFD_MINOR: selected by x86_64, arm64 and riscv64.
  if (!pgtable_supports_uffd_wp(e)) reported.delete('PAGEFAULT_FLAG_WP');
  if (!uffd_supports_wp_marker(e))
    for (const x of ['WP_HUGETLBFS_SHMEM', 'WP_UNPOPULATED', 'WP_ASYNC']) reported.delete(x);
  return reported;
}

/** A setup context's features must be ones UFFDIO_API would have accepted under the config. */
export function checkUffdFeatures(st: LinuxState, e: UffdEnv): void {
  if (st.uffds.size === 0) return;
  if (!e.config.CONFIG_USERFAULTFD)
    throw new VectorFormatError('setup.uffds needs CONFIG_USERFAULTFD', '/setup/uffds');
  const reported = supportedFeatures(e);
  [...st.uffds.values()].forEach((u, i) => {
    const bad = [...(u.features ?? [])].find((x) => !reported.has(x));
    if (bad)
      throw new VectorFormatError(
        `UFFDIO_API refuses ${bad} under this arch and config (fs/userfaultfd.c:2011)`,
        `/setup/uffds/${i}/features`,
      );
  });
}

/** :1972 userfaultfd_api. CAP_SYS_PTRACE is held (model choice: EVENT_FORK is allowed). */
export function userfaultfd_api(
  io: UffdIoEnv,
  ctx: UffdCtx,
  api: U64,
  requested: readonly string[],
): { ret: number; features: string[]; ioctls: string[] } {
  const zeroed = (ret: number) => ({ ret, features: [], ioctls: [] });
  if (api !== 0xaan) return zeroed(EINVAL);
  const features = new Set(requested);
  if (features.has('WP_ASYNC')) features.add('WP_UNPOPULATED');
  const reported = supportedFeatures(io.f);
  if ([...features].some((x) => !reported.has(x))) return zeroed(EINVAL);
  // :2020 cmpxchg(&ctx->features, 0, ...): a second UFFDIO_API fails (struct zeroed).
  if (ctx.features !== undefined) return zeroed(EINVAL);
  ctx.features = features;
  return {
    ret: 0,
    features: UFFD_FEATURES.filter((x) => reported.has(x)),
    ioctls: API_IOCTLS,
  };
}

/** :1252 validate_range. */
function validate_range(io: UffdIoEnv, start: U64, len: U64): number {
  const page = io.f.t.pageSize;
  if (start & (page - 1n) || len & (page - 1n) || len === 0n) return EINVAL;
  if (start < io.mmapMinAddr || start >= io.taskSize || len > io.taskSize - start) return EINVAL;
  return 0;
}

/** The VMAs of the context's mm that intersect [start, end), in address order. */
const vmasIn = (ctx: UffdCtx, start: U64, end: U64): Vma[] =>
  ctx.mm.vmas.filter((v) => v.end > start && v.start < end);

/** vma_kernel_pagesize - 1 (mm/hugetlb.c:1038): the huge page's mask for hugetlb, else 0. */
const hpageMask = (vma: Vma): U64 =>
  vma.hugetlbShift === undefined ? 0n : (1n << BigInt(vma.hugetlbShift)) - 1n;

/**
 * The range checks register and unregister share (:1304-1332, :1452-1480): validate_range, then the
 * VMAs of [start, start + len), -EINVAL where there is none or where `start` is not aligned to the
 * first VMA's huge page size.
 */
function rangeVmas(io: UffdIoEnv, ctx: UffdCtx, start: U64, len: U64): number | Vma[] {
  const ret = validate_range(io, start, len);
  if (ret) return ret;
  const vmas = vmasIn(ctx, start, start + len);
  if (vmas.length === 0) return EINVAL;
  if (start & hpageMask(vmas[0]!)) return EINVAL;
  return vmas;
}

const UFFD_FLAGS: readonly VmFlag[] = ['VM_UFFD_MISSING', 'VM_UFFD_WP', 'VM_UFFD_MINOR'];

/** Whole VMAs only (model choice). */
function noSplit(vma: Vma, start: U64, end: U64, op: string): void {
  if (start > vma.start || end < vma.end)
    throw new UnsupportedError(`${op} of part of a VMA (vma_modify_flags_uffd splits it)`);
}

/** mm/userfaultfd.c:1959 userfaultfd_set_ctx / :1945 userfaultfd_set_vm_flags. */
function userfaultfd_set_ctx(
  io: UffdIoEnv,
  vma: Vma,
  ctx: UffdCtx | undefined,
  want: VmFlag[],
): void {
  io.f.vmPageProt(vma); // what mmap left, before the flags change
  const flags = vma.flags as Set<VmFlag>;
  const wpChanged = flags.has('VM_UFFD_WP') !== want.includes('VM_UFFD_WP');
  for (const x of UFFD_FLAGS) flags.delete(x);
  for (const x of want) flags.add(x);
  vma.uffd = ctx;
  if (flags.has('VM_SHARED') && wpChanged) vma_set_page_prot(io.e, vma);
}

const wp_async_ctx = (ctx: UffdCtx): boolean => ctx.features?.has('WP_ASYNC') ?? false;

/** :1261 userfaultfd_register; the VMAs it changed are those whose flags differ after. */
export function userfaultfd_register(
  io: UffdIoEnv,
  ctx: UffdCtx,
  start: U64,
  len: U64,
  mode: readonly string[],
): { ret: number; ioctls: string[] } {
  if (mode.length === 0) return { ret: EINVAL, ioctls: [] };
  const vm_flags: VmFlag[] = [];
  if (mode.includes('MISSING')) vm_flags.push('VM_UFFD_MISSING');
  if (mode.includes('WP')) {
    if (!pgtable_supports_uffd_wp(io.f)) return { ret: EINVAL, ioctls: [] };
    vm_flags.push('VM_UFFD_WP');
  }
  if (mode.includes('MINOR')) vm_flags.push('VM_UFFD_MINOR');
  const end = start + len;
  const vmas = rangeVmas(io, ctx, start, len);
  if (typeof vmas === 'number') return { ret: vmas, ioctls: [] };
  const want = new Set(vm_flags);
  const wp_async = wp_async_ctx(ctx);
  let basic = false;
  for (const cur of vmas) {
    if (!vma_can_userfault(io.f, io.isShmem, cur, want, wp_async))
      return { ret: EINVAL, ioctls: [] };
    if (!cur.flags.has('VM_MAYWRITE')) return { ret: EPERM, ioctls: [] };
    // :1363 the end must be aligned to the huge page size of the hugetlb VMA it falls in.
    if (end <= cur.end && end > cur.start && end & hpageMask(cur))
      return { ret: EINVAL, ioctls: [] };
    if (cur.uffd && cur.uffd !== ctx) return { ret: EBUSY, ioctls: [] };
    if (cur.flags.has('VM_HUGETLB')) basic = true;
  }
  // mm/userfaultfd.c:2011 userfaultfd_register_range.
  for (const vma of vmas) {
    if (vma.uffd === ctx && vm_flags.every((x) => vma.flags.has(x))) continue;
    noSplit(vma, start, end, 'UFFDIO_REGISTER');
    userfaultfd_set_ctx(io, vma, ctx, vm_flags);
  }
  const ioctls = (basic ? BASIC_RANGE_IOCTLS : RANGE_IOCTLS).filter(
    (x) =>
      (x !== 'UFFDIO_WRITEPROTECT' || mode.includes('WP')) &&
      (x !== 'UFFDIO_CONTINUE' || mode.includes('MINOR')),
  );
  return { ret: 0, ioctls };
}

/** mm/userfaultfd.c:907 uffd_wp_range: change_protection of [start, end) of one VMA, its own gather. */
export function uffd_wp_range(
  io: UffdIoEnv,
  vma: Vma,
  start: U64,
  end: U64,
  enable_wp: boolean,
): number {
  let cp_flags = enable_wp ? MM_CP_UFFD_WP : MM_CP_UFFD_WP_RESOLVE;
  if (!enable_wp && vma_wants_manual_pte_write_upgrade(io.e, vma))
    cp_flags |= MM_CP_TRY_CHANGE_WRITABLE;
  const tlb = new MmuGather(io.f);
  const pages = change_protection(io.f, io.e, tlb, vma, start, end, cp_flags);
  tlb.endVma(); // change_protection_range's tlb_end_vma
  tlb.finish();
  return pages;
}

/**
 * :1435 userfaultfd_unregister: the ranges whose waiters it wakes (VM_UFFD_MISSING VMAs only), to
 * be woken once the ioctl is done (the woken retry waits for mmap_lock).
 */
export function userfaultfd_unregister(
  io: UffdIoEnv,
  ctx: UffdCtx,
  start: U64,
  len: U64,
): { ret: number; wake: [U64, U64][] } {
  const end = start + len;
  const vmas = rangeVmas(io, ctx, start, len);
  if (typeof vmas === 'number') return { ret: vmas, wake: [] };
  const wp_async = wp_async_ctx(ctx);
  for (const cur of vmas) {
    if (cur.uffd && cur.uffd !== ctx) return { ret: EINVAL, wake: [] };
    if (!vma_can_userfault(io.f, io.isShmem, cur, cur.flags, wp_async))
      return { ret: EINVAL, wake: [] };
  }
  const wake: [U64, U64][] = [];
  let from = start;
  for (const vma of vmas) {
    if (vma.uffd) {
      if (vma.start > from) from = vma.start;
      const vma_end = end < vma.end ? end : vma.end;
      if (userfaultfd_missing(vma)) wake.push([from, vma_end - from]);
      noSplit(vma, from, vma_end, 'UFFDIO_UNREGISTER');
      // mm/userfaultfd.c:1975 userfaultfd_clear_vma.
      if (userfaultfd_wp(vma)) uffd_wp_range(io, vma, from, vma_end, false);
      userfaultfd_set_ctx(io, vma, undefined, []);
    }
    from = vma.end;
  }
  return { ret: 0, wake };
}

/** :1718 userfaultfd_writeprotect with mm/userfaultfd.c:936 mwriteprotect_range. */
export function userfaultfd_writeprotect(
  io: UffdIoEnv,
  ctx: UffdCtx,
  start: U64,
  len: U64,
  mode: readonly string[],
): { ret: number; wake: boolean } {
  let ret = validate_range(io, start, len);
  if (ret) return { ret, wake: false };
  const wp = mode.includes('WP');
  const dontwake = mode.includes('DONTWAKE');
  if (wp && dontwake) return { ret: EINVAL, wake: false };
  const end = start + len;
  ret = ENOENT;
  for (const vma of vmasIn(ctx, start, end)) {
    if (!userfaultfd_wp(vma)) {
      ret = ENOENT;
      break;
    }
    // :976 the caller's start and len, aligned to each hugetlb VMA's page size.
    const mask = hpageMask(vma);
    if (start & mask || len & mask) {
      ret = EINVAL;
      break;
    }
    uffd_wp_range(
      io,
      vma,
      start > vma.start ? start : vma.start,
      end < vma.end ? end : vma.end,
      wp,
    );
    ret = 0;
  }
  return { ret, wake: ret === 0 && !wp && !dontwake };
}

/** :1572 userfaultfd_wake: the range checks of validate_range. */
export function userfaultfd_wake(io: UffdIoEnv, start: U64, len: U64): number {
  return validate_range(io, start, len);
}
