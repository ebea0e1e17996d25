// The walk and pageattr op families: the entry points of mm/pagewalk.c and arch/arm64/mm/pageattr.c
// over the vector's machine and mm state, with a scripted mm_walk_ops.

import { MASK64, type U64 } from '../bits/u64.ts';
import { VectorFormatError } from '../errors.ts';
import type { OpArgs, OpContext, OpTable } from '../ops/types.ts';
import type { ArchProt, ArchUpper } from './arch.ts';
import { geometry, type Geometry } from '../machine/geometry.ts';
import { describeBudget, WORK_BUDGET, type WorkKind } from '../machine/work.ts';
import type { ModeDesc } from '../layout/types.ts';
import {
  __change_memory_common,
  change_memory_common,
  maybeGp,
  PTE_PXN,
  PTE_RDONLY,
  PTE_VALID,
  PTE_WRITE,
  update_range_prot,
} from './arm64-pageattr.ts';
import type { UserPageFault } from './fault-flags.ts';
import type { ArchUserFault } from './vm-fault.ts';
import type { ArchMmu } from '../machine/arch.ts';
import { folio_walk_start } from './folio-walk.ts';
import {
  walk_kernel_page_table_range,
  walk_kernel_page_table_range_lockless,
  walk_page_mapping,
  walk_page_range,
  walk_page_range_mm_unsafe,
  walk_page_range_debug,
  walk_page_range_vma,
  walk_page_range_vma_unsafe,
  walk_page_vma,
  type HugePteOffset,
  type MmapLock,
  type MmWalk,
  type WalkCallbacks,
  type WalkEvent,
} from './pagewalk.ts';
import { LinuxTables, type EntryChange } from './pgtable.ts';
import { needFile, type LinuxState, type Mm, type Vma } from './state.ts';
import { checkScript, scriptedOps, type WalkOpsScript } from './walk-script.ts';

declare module '../ops/types.ts' {
  interface OpArgs {
    /** walk_page_vma / walk_page_range_vma(_unsafe): the VMA's vm_mm is NULL (like x86's gate_vma). */
    readonly vm_mm?: null;
    /** The Nth p?d_alloc_one() of the step returns NULL (model of an exhausted page allocator). */
    readonly alloc_one_fails?: number;
  }
}

/** walk_page_range_debug's `mm` naming &init_mm. */
const INIT_MM = 'init_mm';

export interface ArchLinux {
  readonly upper: ArchUpper;
  readonly prot: ArchProt;
  /** The arch's entry for a page fault taken in user mode, its op name, and the fault loop's parts. */
  readonly pageFault: {
    readonly op: string;
    readonly entry: UserPageFault;
    readonly user: ArchUserFault;
    readonly mmu: ArchMmu;
  };
  readonly huge: HugePteOffset;
  /** The bits of a PTE's low and high halves outside the PFN field (the PTE flags). */
  readonly pteFlags: { readonly lo: number; readonly hi: number };
  /** The arch's whole op table (its pXd helpers), resolved lazily. */
  readonly table: () => OpTable;
  readonly desc: (ctx: OpContext) => ModeDesc;
}

export function need<T>(v: T | undefined, what: string, pointer: string): T {
  if (v === undefined) throw new VectorFormatError(`expected ${what}`, pointer);
  return v;
}

export function linux(ctx: OpContext): LinuxState {
  return need(ctx.linux, 'a setup with `mms` or `init_mm` for a Linux page-table op', '/setup');
}

export function tablesOf(A: ArchLinux, ctx: OpContext): LinuxTables {
  const m = need(ctx.machine, 'a setup', '/setup');
  return new LinuxTables(m, geometry(A.desc(ctx)), {
    upper: A.upper,
    table: A.table(),
    config: ctx.config,
    ctx,
  });
}

export function resolveVma(st: LinuxState, v: string | U64, pointer: string): Vma {
  if (typeof v === 'string') return need(st.vmas.get(v), `a VMA name (no VMA is "${v}")`, pointer);
  for (const vma of st.vmas.values()) if (v >= vma.start && v < vma.end) return vma;
  throw new VectorFormatError('the address is in no VMA', pointer);
}

function resolveMm(st: LinuxState, name: string | null): Mm | null {
  if (name === null) return null;
  return need(st.mms.get(name), `an mm name (no mm is "${name}")`, '/args/mm');
}

const DEFAULT_LOCK: Readonly<Record<string, MmapLock>> = {
  PGWALK_RDLOCK: 'read',
  PGWALK_WRLOCK: 'write',
  PGWALK_WRLOCK_VERIFY: 'write',
  PGWALK_VMA_RDLOCK_VERIFY: 'none',
};

interface Started {
  readonly w: MmWalk;
  readonly events: WalkEvent[];
}

export function start(
  A: ArchLinux,
  a: OpArgs,
  ctx: OpContext,
  init: {
    mm: Mm | null;
    vma: Vma | null;
    tree: number;
    kernel: boolean;
    lock: MmapLock;
    no_vma?: boolean;
  },
  ops?: WalkCallbacks,
): Started {
  const st = linux(ctx);
  const events: WalkEvent[] = [];
  const script = a.ops;
  const callbacks =
    ops ?? scriptedOps(need(script, 'the mm_walk_ops `ops`', '/args/ops'), st, '/args/ops');
  return {
    events,
    w: {
      ops: callbacks,
      t: tablesOf(A, ctx),
      st,
      mm: init.mm,
      tree: init.tree,
      vma: init.vma,
      action: 0,
      no_vma: init.no_vma ?? init.kernel,
      initMm: init.kernel,
      events,
      mmapLock: a.locks?.mmap_lock ?? init.lock,
      ...(a.alloc_one_fails === undefined
        ? {}
        : { allocOne: { nth: a.alloc_one_fails, calls: 0 } }),
    },
  };
}

/** What a walk op returns (schemas WalkResult). */
export interface WalkResult {
  readonly kind: 'walk';
  readonly ret: number;
  readonly events: readonly WalkEvent[];
  readonly changes: readonly EntryChange[];
}

export function result(s: Started, ret: number): WalkResult {
  return { kind: 'walk', ret, events: s.events, changes: s.w.t.changed() };
}

const lockOf = (a: OpArgs): MmapLock => DEFAULT_LOCK[a.ops?.walk_lock ?? 'PGWALK_RDLOCK']!;

function kernel(A: ArchLinux, a: OpArgs, ctx: OpContext, lock: MmapLock, ops?: WalkCallbacks) {
  const k = need(linux(ctx).initMm, 'setup.init_mm for a kernel page-table op', '/setup');
  return start(
    A,
    a,
    ctx,
    { mm: null, vma: null, tree: a.pgd?.tree ?? k.tree, kernel: true, lock },
    ops,
  );
}

const u64 = (
  a: OpArgs,
  k: 'start' | 'end' | 'addr' | 'size' | 'set' | 'clear' | 'first_index' | 'nr',
) => need(a[k], `argument "${k}"`, `/args/${k}`);

export function walkOps(A: ArchLinux): OpTable {
  const userWalk =
    (f: (w: MmWalk, start: U64, end: U64, huge: HugePteOffset) => number) =>
    (a: OpArgs, ctx: OpContext): WalkResult => {
      const mm = resolveMm(linux(ctx), a.mm === undefined ? null : a.mm);
      const s = start(A, a, ctx, {
        mm,
        vma: null,
        tree: mm?.tree ?? 0,
        kernel: false,
        lock: lockOf(a),
      });
      return result(s, f(s.w, u64(a, 'start'), u64(a, 'end'), A.huge));
    };
  const vmaWalk = (a: OpArgs, ctx: OpContext): Started => {
    const vma = resolveVma(linux(ctx), need(a.vma, 'argument "vma"', '/args/vma'), '/args/vma');
    const mm = a.vm_mm === null ? null : vma.mm;
    return start(A, a, ctx, { mm, vma, tree: vma.mm.tree, kernel: false, lock: lockOf(a) });
  };
  return {
    walk_page_range: userWalk(walk_page_range),
    walk_page_range_mm_unsafe: userWalk(walk_page_range_mm_unsafe),
    walk_page_range_vma: (a, ctx) => {
      const s = vmaWalk(a, ctx);
      return result(s, walk_page_range_vma(s.w, u64(a, 'start'), u64(a, 'end'), A.huge));
    },
    walk_page_range_vma_unsafe: (a, ctx) => {
      const s = vmaWalk(a, ctx);
      return result(s, walk_page_range_vma_unsafe(s.w, u64(a, 'start'), u64(a, 'end'), A.huge));
    },
    walk_page_range_debug: (a, ctx) => {
      if (a.mm === INIT_MM) {
        const s = kernel(A, a, ctx, 'read');
        return result(s, walk_page_range_debug(s.w, u64(a, 'start'), u64(a, 'end')));
      }
      const mm = resolveMm(linux(ctx), a.mm === undefined ? null : a.mm);
      const tree = a.pgd?.tree ?? mm?.tree ?? 0;
      const s = start(A, a, ctx, {
        mm,
        vma: null,
        tree,
        kernel: false,
        lock: 'write',
        no_vma: true,
      });
      return result(s, walk_page_range_debug(s.w, u64(a, 'start'), u64(a, 'end')));
    },
    walk_page_vma: (a, ctx) => {
      const s = vmaWalk(a, ctx);
      return result(s, walk_page_vma(s.w, A.huge));
    },
    walk_page_mapping: (a, ctx) => {
      // walk_page_mapping asserts no mmap_lock (mm/pagewalk.c:762-767): `locks` changes nothing.
      const s = start(A, a, ctx, { mm: null, vma: null, tree: 0, kernel: false, lock: 'none' });
      const file = need(a.file, 'argument "file"', '/args/file');
      const ret = walk_page_mapping(s.w, file, u64(a, 'first_index'), u64(a, 'nr'), A.huge);
      return result(s, ret);
    },
    walk_kernel_page_table_range: (a, ctx) => {
      const s = kernel(A, a, ctx, 'read');
      return result(s, walk_kernel_page_table_range(s.w, u64(a, 'start'), u64(a, 'end')));
    },
    walk_kernel_page_table_range_lockless: (a, ctx) => {
      const s = kernel(A, a, ctx, 'none');
      return result(s, walk_kernel_page_table_range_lockless(s.w, u64(a, 'start'), u64(a, 'end')));
    },
    folio_walk_start: (a, ctx) => {
      const vma = resolveVma(linux(ctx), need(a.vma, 'argument "vma"', '/args/vma'), '/args/vma');
      const s = start(
        A,
        a,
        ctx,
        { mm: vma.mm, vma, tree: vma.mm.tree, kernel: false, lock: 'read' },
        { walk_lock: 'PGWALK_RDLOCK' },
      );
      return folio_walk_start(s.w, vma, u64(a, 'addr'), new Set(a.flags ?? []));
    },
  };
}

/** The arm64 pageattr family. */
export function pageattrOps(A: ArchLinux): OpTable {
  const none: WalkCallbacks = { walk_lock: 'PGWALK_RDLOCK' };
  const run = (ctx: OpContext, a: OpArgs, f: (w: MmWalk) => number): WalkResult => {
    const s = kernel(A, a, ctx, 'none', none);
    return result(s, f(s.w));
  };
  const common =
    (mask: (w: MmWalk) => readonly [U64, U64]) =>
    (a: OpArgs, ctx: OpContext): WalkResult =>
      run(ctx, a, (w) => {
        const [set, clear] = mask(w);
        const n = need(a.numpages, 'argument "numpages"', '/args/numpages');
        return change_memory_common(w, u64(a, 'addr'), n, set, clear);
      });
  return {
    update_range_prot: (a, ctx) =>
      run(ctx, a, (w) =>
        update_range_prot(w, u64(a, 'start'), u64(a, 'size'), u64(a, 'set'), u64(a, 'clear')),
      ),
    __change_memory_common: (a, ctx) =>
      run(ctx, a, (w) =>
        __change_memory_common(w, u64(a, 'start'), u64(a, 'size'), u64(a, 'set'), u64(a, 'clear')),
      ),
    set_memory_ro: common(() => [PTE_RDONLY, PTE_WRITE]),
    set_memory_rw: common(() => [PTE_WRITE, PTE_RDONLY]),
    set_memory_nx: common((w) => [PTE_PXN, maybeGp(w)]),
    set_memory_x: common((w) => [maybeGp(w), PTE_PXN]),
    set_memory_valid: (a, ctx) =>
      run(ctx, a, (w) => {
        const n = need(a.numpages, 'argument "numpages"', '/args/numpages');
        const page = 1n << BigInt(w.t.pageShift);
        const on = need(a.enable, 'argument "enable"', '/args/enable');
        return __change_memory_common(
          w,
          u64(a, 'addr'),
          page * BigInt(n),
          on ? PTE_VALID : 0n,
          on ? 0n : PTE_VALID,
        );
      }),
  };
}

/** Static checks of a walk step's arguments (names, scripts, work), for the loader. */
export function checkWalkArgs(st: LinuxState | undefined, a: OpArgs, g: Geometry): void {
  if (a.ops) checkScript(a.ops, st, '/args/ops');
  if (a.vma !== undefined) resolveVma(need(st, 'setup.mms', '/setup'), a.vma, '/args/vma');
  if (a.mm === INIT_MM && st?.initMm) {
    if (st.mms.has(INIT_MM))
      throw new VectorFormatError(
        '"init_mm" names both an mm of setup.mms and &init_mm',
        '/args/mm',
      );
  } else if (typeof a.mm === 'string') resolveMm(need(st, 'setup.mms', '/setup'), a.mm);
  if (a.alloc_one_fails !== undefined && !a.ops?.install_pte)
    throw new VectorFormatError(
      'alloc_one_fails needs install_pte: only its walk allocates page tables',
      '/args/alloc_one_fails',
    );
  if (a.file !== undefined && st) needFile(st, a.file);
  checkWalkWork(st, a, g);
}

/**
 * The work a walk's range asks for at the least, before it runs: the top-level entries it steps
 * through, and with install_pte one call per page of the range that lies in a VMA.
 */
function checkWalkWork(st: LinuxState | undefined, a: OpArgs, g: Geometry): void {
  const over = (what: string, n: bigint, kind: WorkKind) => {
    if (n > BigInt(WORK_BUDGET[kind]))
      throw new VectorFormatError(
        `${what} (${n}) exceed the work budget of a vector (${describeBudget()})`,
        a.size !== undefined ? '/args/size' : '/args/end',
      );
  };
  const start = a.start ?? a.addr;
  const end =
    a.end ?? (start !== undefined && a.size !== undefined ? (start + a.size) & MASK64 : undefined);
  if (start === undefined || end === undefined || end <= start) return;
  const top = BigInt(g.levels[0]!.shift);
  over('the top-level entries of the range', ((end - 1n) >> top) - (start >> top) + 1n, 'visits');
  if (!a.ops?.install_pte || !st) return;
  const page = 1n << BigInt(g.desc.pageShift);
  let pages = 0n;
  for (const v of st.vmas.values()) {
    if (typeof a.mm === 'string' && v.mm.name !== a.mm) continue;
    const lo = v.start > start ? v.start : start;
    const hi = v.end < end ? v.end : end;
    if (hi > lo) pages += (hi - lo) / page;
  }
  over('install_pte calls for the pages of the range in a VMA', pages, 'events');
}

export type { WalkOpsScript };
