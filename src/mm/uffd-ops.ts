// The uffd family's ops: the userfaultfd ioctls (src/mm/userfaultfd.ts), with the accesses they wake
// continued once the ioctl is done (src/mm/fault-loop.ts).

import type { U64 } from '../bits/u64.ts';
import { VectorFormatError } from '../errors.ts';
import type { OpArgs, OpContext, OpTable } from '../ops/types.ts';
import { env, loopParts, mmOf, tracked, type VmaAfter } from './fault-ops.ts';
import { faultEnv, wake_userfault, type FaultLoopResult, type LoopParts } from './fault-loop.ts';
import type { EntryChange } from './pgtable.ts';
import { needFile, type Mm, type UffdCtx, type Vma } from './state.ts';
import { pagemap_read } from './task_mmu.ts';
import { pagemap_scan, pm_scan_arg, type PagemapScanResult } from './pagemap_scan.ts';
import { try_to_unmap } from './rmap.ts';
import { madvise_dontneed, unmap_mapping_pages } from './zap.ts';
import {
  checkUffdFeatures,
  EINVAL,
  userfaultfd_api,
  userfaultfd_register,
  userfaultfd_unregister,
  userfaultfd_wake,
  userfaultfd_writeprotect,
  type UffdIoEnv,
} from './userfaultfd.ts';
import type { FaultEnv, FaultEvent } from './vm-fault.ts';
import { linux, need, type ArchLinux } from './walk-ops.ts';

export interface WokenAccess {
  readonly cpu: number;
  readonly va: U64;
  readonly result: FaultLoopResult;
}
/** What a uffd ioctl did (schemas UffdApiResult, UffdRegisterResult, UffdRangeResult, UffdUnregisterResult). */
export interface UffdResult {
  readonly kind: 'uffd';
  readonly ret: number;
  readonly features?: readonly string[];
  readonly ioctls?: readonly string[];
  readonly vmas?: readonly VmaAfter[];
  readonly events?: readonly FaultEvent[];
  readonly changes?: readonly EntryChange[];
  readonly woken?: readonly WokenAccess[];
}

/** The context an op names (a format error when the kernel has no userfaultfd). */
function uffdOf(A: ArchLinux, ctx: OpContext, a: OpArgs): UffdCtx {
  if (!ctx.config.CONFIG_USERFAULTFD)
    throw new VectorFormatError(
      'the kernel has no userfaultfd (CONFIG_USERFAULTFD is off)',
      '/config',
    );
  const name = need(a.uffd, 'argument "uffd"', '/args/uffd');
  const st = linux(ctx);
  const u = need(st.uffds.get(name), `a uffd name (no uffd is "${name}")`, '/args/uffd');
  const table = A.table();
  checkUffdFeatures(st, { config: ctx.config, helper: (op, args) => table[op]?.(args, ctx) });
  if (u.mm.tlbFlushPending > 0 || u.mm.notifiers.length > 0)
    throw new VectorFormatError(
      'the uffd family models no pending TLB flushes and no mmu notifier subscriptions of the mm',
      '/setup/mms',
    );
  return u;
}

/** mmap_min_addr: the DEFAULT_MMAP_MIN_ADDR Kconfig default, 4096 (mm/Kconfig:717; a distribution's
 * config or the vm.mmap_min_addr sysctl may differ). Model choice. */
const MMAP_MIN_ADDR = 4096n;

/** mm->task_size of the mode: x86_64 TASK_SIZE_MAX, arm64 1 << VA_BITS, riscv64 the lower half. */
function taskSize(arch: string, vaBits: number): U64 {
  if (arch === 'x86_64') return (1n << BigInt(vaBits - 1)) - 4096n;
  if (arch === 'arm64') return 1n << BigInt(vaBits);
  return 1n << BigInt(vaBits - 1);
}

export function ioEnv(A: ArchLinux, ctx: OpContext, p: LoopParts, u: UffdCtx): UffdIoEnv {
  const st = linux(ctx);
  return {
    f: faultEnv(p, u.mm, 0),
    e: env(A, ctx),
    isShmem: (v: Vma) => v.file !== undefined && st.files.get(v.file)?.shmem === true,
    taskSize: taskSize(ctx.arch, p.g.vaBits),
    mmapMinAddr: MMAP_MIN_ADDR,
  };
}

const range = (a: OpArgs): [U64, U64] => [
  need(a.start, 'argument "start"', '/args/start'),
  need(a.len, 'argument "len"', '/args/len'),
];
const names = (a: OpArgs, key: 'features' | 'mode'): string[] => {
  const v: unknown = (a as Record<string, unknown>)[key];
  if (!Array.isArray(v))
    throw new VectorFormatError(`expected \`${key}\` as a list`, `/args/${key}`);
  return v as string[];
};

/** What a zap did (schemas ZapResult). */
export interface ZapResult {
  readonly kind: 'zap';
  readonly ret: number;
  readonly events: readonly FaultEvent[];
  readonly changes: readonly EntryChange[];
}
/** What a pagemap read returned (schemas PagemapResult). */
export interface PagemapResult {
  readonly kind: 'pagemap';
  readonly entries: readonly U64[];
}

/** An mm of the step, with the uffd family's limits on what it models. */
function modelledMm(ctx: OpContext, a: OpArgs): Mm {
  const mm = mmOf(ctx, a);
  if (mm.tlbFlushPending > 0 || mm.notifiers.length > 0)
    throw new VectorFormatError(
      'the uffd family models no pending TLB flushes and no mmu notifier subscriptions of the mm',
      '/setup/mms',
    );
  return mm;
}

/** Each mm's env for an op over several mms, their events in one list. */
function mmEnvs(p: LoopParts, events: FaultEvent[]): (mm: Mm) => FaultEnv {
  const envs = new Map<Mm, FaultEnv>();
  return (mm) => {
    let f = envs.get(mm);
    if (!f) {
      if (mm.tlbFlushPending > 0 || mm.notifiers.length > 0)
        throw new VectorFormatError(
          'the uffd family models no pending TLB flushes and no mmu notifier subscriptions of the mm',
          '/setup/mms',
        );
      f = { ...faultEnv(p, mm, 0), events };
      envs.set(mm, f);
    }
    return f;
  };
}

/** fs/userfaultfd.c:2042 userfaultfd_ioctl: every ioctl but UFFDIO_API needs an initialized context. */
const uninitialized = (vmas: boolean): UffdResult => ({
  kind: 'uffd',
  ret: EINVAL,
  ...(vmas ? { vmas: [] } : {}),
  events: [],
  changes: [],
  woken: [],
});

export function uffdOps(A: ArchLinux): OpTable {
  return {
    madvise: (a, ctx): ZapResult => {
      const mm = modelledMm(ctx, a);
      if (a.advice !== 'MADV_DONTNEED')
        throw new VectorFormatError('expected advice MADV_DONTNEED', '/args/advice');
      const p = loopParts(A, ctx);
      const f = faultEnv(p, mm, 0);
      const [start, len] = range(a);
      const ret = madvise_dontneed(f, start, len);
      return { kind: 'zap', ret, events: f.events, changes: p.t.changed() };
    },
    try_to_unmap: (a, ctx): ZapResult => {
      const st = linux(ctx);
      const p = loopParts(A, ctx);
      const events: FaultEvent[] = [];
      const ret = try_to_unmap(
        mmEnvs(p, events),
        st,
        need(a.pfn, 'argument "pfn"', '/args/pfn'),
        p.t.pageShift,
      );
      return { kind: 'zap', ret, events, changes: p.t.changed() };
    },
    unmap_mapping_pages: (a, ctx): ZapResult => {
      const st = linux(ctx);
      const file = need(a.file, 'argument "file"', '/args/file');
      needFile(st, file);
      const p = loopParts(A, ctx);
      const events: FaultEvent[] = [];
      const envOf = mmEnvs(p, events);
      unmap_mapping_pages(
        (vma: Vma) => envOf(vma.mm),
        st,
        file,
        need(a.start, 'argument "start"', '/args/start'),
        need(a.nr, 'argument "nr"', '/args/nr'),
        need(a.even_cows, 'argument "even_cows"', '/args/even_cows'),
        p.t.pageSize,
      );
      return { kind: 'zap', ret: 0, events, changes: p.t.changed() };
    },
    pagemap: (a, ctx): PagemapResult => {
      const mm = mmOf(ctx, a);
      const p = loopParts(A, ctx);
      const st = linux(ctx);
      const count = need(a.count, 'argument "count"', '/args/count');
      const entries = pagemap_read(
        faultEnv(p, mm, 0),
        st.mms.values(),
        (m) => faultEnv(p, m, 0),
        need(a.start, 'argument "start"', '/args/start') & ~(p.t.pageSize - 1n),
        count,
        a.show_pfn ?? true,
      );
      return { kind: 'pagemap', entries };
    },
    pagemap_scan: (a, ctx): PagemapScanResult => {
      // fs/proc/task_mmu.c:3021 do_pagemap_scan on the mm's /proc/pid/pagemap.
      const mm = modelledMm(ctx, a);
      const table = A.table();
      checkUffdFeatures(linux(ctx), { config: ctx.config, helper: (op, x) => table[op]?.(x, ctx) });
      const p = loopParts(A, ctx);
      return pagemap_scan(faultEnv(p, mm, 0), env(A, ctx), ctx.arch, p.g.vaBits, pm_scan_arg(a));
    },
    uffdio_api: (a, ctx): UffdResult => {
      const u = uffdOf(A, ctx, a);
      const p = loopParts(A, ctx);
      const r = userfaultfd_api(
        ioEnv(A, ctx, p, u),
        u,
        need(a.api, 'argument "api"', '/args/api'),
        names(a, 'features'),
      );
      return { kind: 'uffd', ...r };
    },
    uffdio_register: (a, ctx): UffdResult => {
      const u = uffdOf(A, ctx, a);
      if (!u.features) return { kind: 'uffd', ret: EINVAL, ioctls: [], vmas: [] };
      const p = loopParts(A, ctx);
      const io = ioEnv(A, ctx, p, u);
      const [start, len] = range(a);
      const { out, vmas } = tracked(u.mm, () =>
        userfaultfd_register(io, u, start, len, names(a, 'mode')),
      );
      return { kind: 'uffd', ret: out.ret, ioctls: out.ioctls, vmas };
    },
    uffdio_unregister: (a, ctx): UffdResult => {
      const u = uffdOf(A, ctx, a);
      if (!u.features) return uninitialized(true);
      const p = loopParts(A, ctx);
      const io = ioEnv(A, ctx, p, u);
      const [start, len] = range(a);
      const { out, vmas } = tracked(u.mm, () => userfaultfd_unregister(io, u, start, len));
      const changes = p.t.changed();
      const woken = out.wake.flatMap(([s, l]) => wake_userfault(p, u, s, l));
      return { kind: 'uffd', ret: out.ret, vmas, events: io.f.events, changes, woken };
    },
    uffdio_writeprotect: (a, ctx): UffdResult => {
      const u = uffdOf(A, ctx, a);
      if (!u.features) return uninitialized(false);
      const p = loopParts(A, ctx);
      const io = ioEnv(A, ctx, p, u);
      const [start, len] = range(a);
      const out = userfaultfd_writeprotect(io, u, start, len, names(a, 'mode'));
      const changes = p.t.changed();
      const woken = out.wake ? wake_userfault(p, u, start, len) : [];
      return { kind: 'uffd', ret: out.ret, events: io.f.events, changes, woken };
    },
    uffdio_wake: (a, ctx): UffdResult => {
      const u = uffdOf(A, ctx, a);
      if (!u.features) return uninitialized(false);
      const p = loopParts(A, ctx);
      const [start, len] = range(a);
      const ret = userfaultfd_wake(ioEnv(A, ctx, p, u), start, len);
      const woken = ret ? [] : wake_userfault(p, u, start, len);
      return { kind: 'uffd', ret, events: [], changes: [], woken };
    },
  };
}
