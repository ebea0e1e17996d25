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
import type { ChainIndex, EntryChange, LinuxTables } from './pgtable.ts';
import type { LinuxState, Mm, Vma } from './state.ts';
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
} from './vm-fault.ts';

/** The most hardware faults one access may take before the loop counts as endless. */
export const MAX_FAULTS_PER_ACCESS = 64;
/** The most handle_mm_fault calls one fault may make (VM_FAULT_RETRY loops). */
const MAX_RETRIES = 64;

/** What a user access did (schemas FaultLoopResult). */
export interface FaultLoopResult {
  readonly kind: 'fault_loop';
  readonly outcome:
    { readonly kind: 'translated'; readonly pa: number; readonly level: LinuxLevel } | FaultEnd;
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
}

/** The tree whose root a CPU runs (a format error when it runs no mm's tree). */
function treeOf(p: LoopParts, root: number, pointer: string): number {
  for (const mm of p.st.mms.values()) if (p.t.m.treeRoot(mm.tree) === root) return mm.tree;
  throw new VectorFormatError("the CPU's translation root is no mm's tree", pointer);
}

/**
 * One access through the MMU, its page-table stores recorded as changes: the entries on the walk's
 * path are read first, so that each store the hardware reports has its old value.
 */
function hwAccess(p: LoopParts, cpu: number, va: U64, type: AccessType): AccessOutcome {
  const m = p.t.m;
  const c = m.cpus[cpu]!;
  const tree = treeOf(p, c.root, '/args/cpu');
  const path: { pa: number; c: ChainIndex; v: U64 }[] = [];
  let pa = 0;
  for (const k of [0, 1, 2, 3, 4] as const) {
    if (!p.t.chain[k]!.first) continue;
    pa = p.t.offset(k, pa, va, c.root);
    if (!m.mem.contains(pa, 8)) break;
    const v = p.t.read(pa);
    path.push({ pa, c: k, v });
    if (k === 4 || p.t.none(k, v) || !p.t.present(k, v)) break;
    if ((k === 2 || k === 3) && p.t.leaf(k, v)) break;
  }
  const out = p.mmu.access(m, c, p.g, va, type, 'user');
  for (const u of out.updates) {
    const e = path.find((x) => x.pa === u.pa);
    if (e) p.t.record(tree, e.c, u.pa, va, e.v, u.value);
  }
  return out;
}

function exception(f: FaultEnv, cpu: number, o: AccessOutcome & { kind: 'fault' }): void {
  emit(f, { event: 'exception', cpu, class: o.class, level: o.level, report: o.report });
}

/**
 * The arch's page fault from user space after its entry found the VMA: handle_mm_fault under the VMA
 * lock, then (VM_FAULT_RETRY) under mmap_lock until it stops retrying. Returns how the access ends, or
 * undefined when it returns to user space to be executed again. VMAs do not change during a step, so
 * lock_mm_and_find_vma finds the same VMA and access_error agrees.
 */
function handleUserFault(
  f: FaultEnv,
  p: LoopParts,
  vma: Vma,
  address: U64,
  first: number,
  args: Readonly<Record<string, unknown>>,
): FaultEnd | undefined {
  let flags = first;
  let ret = handle_mm_fault(f, vma, address, flags);
  if (ret & VM_FAULT_RETRY) {
    flags &= ~FAULT_FLAG_VMA_LOCK;
    if (ret & VM_FAULT_MAJOR) flags |= FAULT_FLAG_TRIED;
    for (let n = 0; ; n++) {
      if (n === MAX_RETRIES)
        throw new VectorFormatError(
          `handle_mm_fault returned VM_FAULT_RETRY ${MAX_RETRIES} times for one fault: a fault loop that never ends`,
        );
      ret = handle_mm_fault(f, vma, address, flags);
      if (ret & VM_FAULT_COMPLETED) return undefined;
      if (!(ret & VM_FAULT_RETRY)) break;
      flags |= FAULT_FLAG_TRIED;
    }
  }
  if (!(ret & VM_FAULT_ERROR)) return undefined;
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

/** `user_access`: the access, retried after each handled fault, until it translates or ends. */
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
  const f = faultEnv(p, mm, cpu);
  const events = f.events;
  const done = (outcome: FaultLoopResult['outcome']): FaultLoopResult => ({
    kind: 'fault_loop',
    outcome,
    events,
    changes: p.t.changed(),
  });
  for (let n = 0; ; n++) {
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
    const end = handleUserFault(f, p, h.vma, h.address, h.flags, args);
    if (end) return done(end);
  }
}
