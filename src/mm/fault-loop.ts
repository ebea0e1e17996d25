// The fault loop of a user access: the CPU's MMU and TLB decide; a page fault enters the arch's entry
// (the `handle_page_fault`/`do_mem_abort` op's model), handle_mm_fault runs with the arch's retry
// logic (arch/x86/mm/fault.c:1325-1391, arch/arm64/mm/fault.c:620-700, arch/riscv/mm/fault.c:356-440),
// an error becomes the arch's signal, and otherwise the access is executed again.

import type { U64 } from '../bits/u64.ts';
import { UnsupportedError, VectorFormatError } from '../errors.ts';
import type { ArchMmu } from '../machine/arch.ts';
import type { Geometry } from '../machine/geometry.ts';
import type { AccessOutcome, AccessType } from '../machine/types.ts';
import type { LinuxLevel, OpArgs, OpContext, OpValue } from '../ops/types.ts';
import { FAULT_FLAG_TRIED, FAULT_FLAG_VMA_LOCK, type UserPageFault } from './fault-flags.ts';
import { handle_mm_fault } from './memory.ts';
import type { EntryChange, LinuxTables } from './pgtable.ts';
import type { VmaEnv } from './vma.ts';
import type { LinuxState, Mm, UffdCtx, Vma } from './state.ts';
import {
  emit,
  VM_FAULT_COMPLETED,
  VM_FAULT_ERROR,
  VM_FAULT_MAJOR,
  VM_FAULT_RETRY,
  type ArchUserFault,
  type FaultEnd,
  type FaultEnv,
  type FaultEvent,
  type UffdMessage,
} from './vm-fault.ts';

/** The most hardware faults one access may take before the loop counts as endless. */
export const MAX_FAULTS_PER_ACCESS = 64;
/** The most handle_mm_fault calls one fault may make (VM_FAULT_RETRY loops). */
const MAX_RETRIES = 64;

/** What a user access did (schemas FaultLoopResult). */
export interface FaultLoopResult {
  readonly kind: 'fault_loop';
  readonly outcome:
    | { readonly kind: 'translated'; readonly pa: number; readonly level: LinuxLevel }
    | FaultEnd
    | ({ readonly kind: 'blocked' } & UffdMessage);
  readonly events: readonly FaultEvent[];
  readonly changes: readonly EntryChange[];
}

export interface LoopParts {
  readonly mmu: ArchMmu;
  readonly g: Geometry;
  readonly t: LinuxTables;
  readonly st: LinuxState;
  readonly ctx: OpContext;
  readonly user: ArchUserFault;
  readonly entry: UserPageFault;
  readonly helper: (name: string, a: OpArgs) => OpValue | undefined;
  readonly vmPageProt: (vma: Vma) => U64;
  /** The arch's non-PFN bits of a PTE's halves (ArchLinux.pteFlags). */
  readonly pteFlags: { readonly lo: number; readonly hi: number };
  /** What the VMA predicates read (vma_soft_dirty_enabled). */
  readonly vmaEnv: VmaEnv;
}

/** The tree whose root a CPU runs (a format error when it runs no mm's tree). */
function treeOf(p: LoopParts, root: number, pointer: string): number {
  for (const mm of p.st.mms.values()) if (p.t.m.treeRoot(mm.tree) === root) return mm.tree;
  throw new VectorFormatError("the CPU's translation root is no mm's tree", pointer);
}

/** One access through the MMU, each page-table store it reports recorded as a change. */
function hwAccess(p: LoopParts, cpu: number, va: U64, type: AccessType): AccessOutcome {
  const m = p.t.m;
  const c = m.cpus[cpu]!;
  const tree = treeOf(p, c.root, '/args/cpu');
  const out = p.mmu.access(m, c, p.g, va, type, 'user');
  for (const u of out.updates) p.t.record(tree, p.t.chainOf(u.level), u.pa, va, u.old, u.value);
  return out;
}

function exception(f: FaultEnv, cpu: number, o: AccessOutcome & { kind: 'fault' }): void {
  emit(f, { event: 'exception', cpu, class: o.class, level: o.level, report: o.report });
}

/** Where a fault's handle_mm_fault retries under mmap_lock continue. */
interface RetryState {
  readonly vma: Vma;
  readonly address: U64;
  flags: number;
  retries: number;
  readonly args: Readonly<Record<string, unknown>>;
}

/** How the arch's fault handling of an access ended: a FaultEnd, returned to user (undefined), or
 * waiting in handle_userfault. */
type FaultStop = FaultEnd | undefined | { readonly kind: 'wait'; readonly r: RetryState };

/**
 * The arch's page fault from user space after its entry found the VMA: handle_mm_fault under the VMA
 * lock, then (VM_FAULT_RETRY) under mmap_lock until it stops retrying. VMAs do not change during a
 * step, so lock_mm_and_find_vma finds the same VMA and access_error agrees. A handle_mm_fault that
 * waits in handle_userfault stops here; when woken it returns VM_FAULT_RETRY and continues.
 */
function handleUserFault(
  f: FaultEnv,
  p: LoopParts,
  vma: Vma,
  address: U64,
  first: number,
  args: Readonly<Record<string, unknown>>,
): FaultStop {
  const ret = handle_mm_fault(f, vma, address, first);
  if (!(ret & VM_FAULT_RETRY)) return errorOf(p, f, ret, args);
  let flags = first & ~FAULT_FLAG_VMA_LOCK;
  if (ret & VM_FAULT_MAJOR) flags |= FAULT_FLAG_TRIED;
  const r: RetryState = { vma, address, flags, retries: 0, args };
  return f.blocked ? { kind: 'wait', r } : retryUnderMmapLock(f, p, r);
}

function retryUnderMmapLock(f: FaultEnv, p: LoopParts, r: RetryState): FaultStop {
  for (; ; r.retries++) {
    if (r.retries === MAX_RETRIES)
      throw new VectorFormatError(
        `handle_mm_fault returned VM_FAULT_RETRY ${MAX_RETRIES} times for one fault: a fault loop that never ends`,
      );
    const ret = handle_mm_fault(f, r.vma, r.address, r.flags);
    if (ret & VM_FAULT_COMPLETED) return undefined;
    if (!(ret & VM_FAULT_RETRY)) return errorOf(p, f, ret, r.args);
    r.flags |= FAULT_FLAG_TRIED;
    if (f.blocked) {
      r.retries++;
      return { kind: 'wait', r };
    }
  }
}

function errorOf(
  p: LoopParts,
  f: FaultEnv,
  ret: number,
  args: Readonly<Record<string, unknown>>,
): FaultEnd | undefined {
  if (ret & VM_FAULT_COMPLETED || !(ret & VM_FAULT_ERROR)) return undefined;
  return p.user.mm_fault_error(ret, args, f.config);
}

/** The handlers' state for an access by `cpu` in `mm` (the kernel's local flushes reach that CPU). */
export function faultEnv(p: LoopParts, mm: Mm, cpu: number): FaultEnv {
  const f: FaultEnv = {
    m: p.t.m,
    t: p.t,
    st: p.st,
    config: p.ctx.config,
    mm,
    cpu,
    arch: p.user.hooks,
    pteFlags: p.pteFlags,
    vmaEnv: p.vmaEnv,
    events: [],
    helper: p.helper,
    vmPageProt: p.vmPageProt,
    otherAccess: (other, ova, otype) => {
      const o = hwAccess(p, other, ova, otype);
      if (o.kind === 'fault') exception(f, other, o);
    },
  };
  return f;
}

/** An access waiting in handle_userfault: what it continues with when woken. */
interface AccessResume {
  readonly mm: Mm;
  readonly type: AccessType;
  readonly faults: number;
  readonly r: RetryState;
}

/** `user_access`: the access, retried after each handled fault, until it translates, ends or waits. */
export function user_access(
  p: LoopParts,
  mm: Mm,
  cpu: number,
  va: U64,
  type: AccessType,
): FaultLoopResult {
  const m = p.t.m;
  if (!m.cpus[cpu])
    throw new VectorFormatError(`there is no cpu ${cpu} in setup.cpus`, '/args/cpu');
  if (m.cpus[cpu]!.root !== m.treeRoot(mm.tree))
    throw new VectorFormatError(
      `cpu ${cpu} does not run mm "${mm.name}" (its root is not the mm's tree)`,
      '/args/cpu',
    );
  if (waiting(p.st, cpu))
    throw new VectorFormatError(
      `cpu ${cpu} is waiting in handle_userfault: wake it (uffdio_writeprotect, uffdio_wake) first`,
      '/args/cpu',
    );
  return accessLoop(p, faultEnv(p, mm, cpu), va, type, 0, undefined);
}

/** Whether a CPU's access waits in handle_userfault. */
const waiting = (st: LinuxState, cpu: number): boolean =>
  [...st.uffds.values()].some((u) => u.waiters.some((w) => w.cpu === cpu));

/**
 * Wake the accesses of a context waiting on [start, start + len) (fs/userfaultfd.c:107
 * userfaultfd_wake_function; len 0 wakes all): each continues where it waited. The wait queue wakes
 * the last to wait first.
 */
export function wake_userfault(
  p: LoopParts,
  ctx: UffdCtx,
  start: U64,
  len: U64,
): { readonly cpu: number; readonly va: U64; readonly result: FaultLoopResult }[] {
  const woken = ctx.waiters.filter(
    (w) => len === 0n || (w.address >= start && w.address < start + len),
  );
  for (const w of woken) ctx.waiters.splice(ctx.waiters.indexOf(w), 1);
  return woken.map((w) => {
    const a = w.resume as AccessResume;
    if (!a.mm.vmas.includes(a.r.vma))
      throw new UnsupportedError('a woken access whose VMA is gone (lock_mm_and_find_vma)');
    return {
      cpu: w.cpu,
      va: w.va,
      result: accessLoop(p, faultEnv(p, a.mm, w.cpu), w.va, a.type, a.faults, a.r),
    };
  });
}

function accessLoop(
  p: LoopParts,
  f: FaultEnv,
  va: U64,
  type: AccessType,
  faults: number,
  resume: RetryState | undefined,
): FaultLoopResult {
  const cpu = f.cpu;
  const mm = f.mm;
  const events = f.events;
  const done = (outcome: FaultLoopResult['outcome']): FaultLoopResult => ({
    kind: 'fault_loop',
    outcome,
    events,
    changes: p.t.changed(),
  });
  const settle = (stop: FaultStop, n: number): FaultLoopResult | undefined => {
    if (stop?.kind !== 'wait') return stop && done(stop);
    const msg = f.blocked!;
    const ctx = p.st.uffds.get(msg.uffd)!;
    const a: AccessResume = { mm, type, faults: n, r: stop.r };
    // __add_wait_queue: at the head.
    ctx.waiters.unshift({ address: msg.address, cpu, va, resume: a });
    return done({ kind: 'blocked', ...msg });
  };
  if (resume) {
    const end = settle(retryUnderMmapLock(f, p, resume), faults);
    if (end) return end;
  }
  for (let n = faults; ; n++) {
    const o = hwAccess(p, cpu, va, type);
    if (o.kind === 'translated') return done({ kind: 'translated', pa: o.pa, level: o.level });
    if (n === MAX_FAULTS_PER_ACCESS)
      throw new VectorFormatError(
        `the access faulted ${MAX_FAULTS_PER_ACCESS + 1} times: a fault loop that never ends (a vm_ops script that never lets it complete?)`,
      );
    exception(f, cpu, o);
    const args = p.user.entryArgs(o.report);
    if (!args)
      throw new UnsupportedError(
        `a ${o.class} fault that is no page fault (the arch's other trap handlers are not modelled)`,
      );
    const entry = p.entry(mm, args, p.ctx.config, p.g.vaBits);
    if ('signal' in entry) return done({ kind: 'signal', signal: entry.signal });
    const h = entry.handle_mm_fault;
    const end = settle(handleUserFault(f, p, h.vma, h.address, h.flags, args), n + 1);
    if (end) return end;
  }
}
