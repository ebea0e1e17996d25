// The uffd family's tear-down ops: munmap(2) and exit_mmap (src/mm/munmap.ts,
// src/mm/free_pgtables.ts) over a vector's mm, with the VMAs of the mm after, the TLB flushes, the changed entries and the
// UFFD_EVENT_UNMAP messages.

import type { U64 } from '../bits/u64.ts';
import { VectorFormatError } from '../errors.ts';
import type { OpArgs, OpContext, OpTable } from '../ops/types.ts';
import { loopParts, mmOf } from './fault-ops.ts';
import { faultEnv } from './fault-loop.ts';
import { exit_mmap, sys_munmap, type UffdUnmapMsg } from './munmap.ts';
import type { EntryChange } from './pgtable.ts';
import type { Mm } from './state.ts';
import { checkUffdFeatures } from './userfaultfd.ts';
import { VM_FLAG_ORDER, type VmFlag } from './vm-flags.ts';
import type { FaultEnv, FaultEvent } from './vm-fault.ts';
import { linux, need, type ArchLinux } from './walk-ops.ts';

/** A VMA of the mm after the step (schemas MunmapVma). */
export interface MunmapVma {
  readonly name: string;
  readonly start: U64;
  readonly end: U64;
  readonly pgoff: U64;
  readonly flags: readonly VmFlag[];
  /** vm_userfaultfd_ctx, by name, when registered. */
  readonly uffd?: string;
}

/** What munmap or exit_mmap did (schemas MunmapResult). */
export interface MunmapResult {
  readonly kind: 'munmap';
  readonly ret: number;
  readonly vmas: readonly MunmapVma[];
  readonly events: readonly FaultEvent[];
  readonly changes: readonly EntryChange[];
  readonly uffd_events: readonly UffdUnmapMsg[];
}

/** The step's mm and its env, with the family's limits (no pending flushes, no mmu notifiers). */
function teardownEnv(A: ArchLinux, ctx: OpContext, a: OpArgs): { mm: Mm; f: FaultEnv } {
  const mm = mmOf(ctx, a);
  if (mm.tlbFlushPending > 0 || mm.notifiers.length > 0)
    throw new VectorFormatError(
      'the uffd family models no pending TLB flushes and no mmu notifier subscriptions of the mm',
      '/setup/mms',
    );
  const p = loopParts(A, ctx);
  checkUffdFeatures(linux(ctx), { config: ctx.config, helper: p.helper });
  return { mm, f: faultEnv(p, mm, 0) };
}

function result(f: FaultEnv, ret: number, uffd_events: readonly UffdUnmapMsg[]): MunmapResult {
  const vmas = f.mm.vmas.map((v) => ({
    name: v.name,
    start: v.start,
    end: v.end,
    pgoff: v.pgoff,
    flags: VM_FLAG_ORDER.filter((x) => v.flags.has(x)),
    ...(v.uffd ? { uffd: v.uffd.name } : {}),
  }));
  return { kind: 'munmap', ret, vmas, events: f.events, changes: f.t.changed(), uffd_events };
}

export function munmapOps(A: ArchLinux): OpTable {
  return {
    munmap: (a, ctx): MunmapResult => {
      const { f } = teardownEnv(A, ctx, a);
      const out = sys_munmap(
        f,
        ctx.arch,
        A.desc(ctx).vaBits,
        need(a.start, 'argument "start"', '/args/start'),
        need(a.len, 'argument "len"', '/args/len'),
      );
      return result(f, out.ret, out.unmaps);
    },
    exit_mmap: (a, ctx): MunmapResult => {
      const { f } = teardownEnv(A, ctx, a);
      exit_mmap(f, ctx.arch);
      return result(f, 0, []);
    },
  };
}
