// The fault family's ops over a vector's mm state: the writenotify decisions (src/mm/vma.ts), the
// arch's user page-fault entry, a user access through the fault loop (src/mm/fault-loop.ts), and
// mprotect (src/mm/mprotect.ts).

import type { OpArgs, OpContext, OpTable } from '../ops/types.ts';
import type { U64 } from '../bits/u64.ts';
import { VectorFormatError } from '../errors.ts';
import type { Machine } from '../machine/types.ts';
import type { LinuxState, Mm, Vma } from './state.ts';
import type { VmFlags } from './vm-flags.ts';
import {
  vma_set_page_prot,
  vmPageProt,
  vma_wants_manual_pte_write_upgrade,
  vma_wants_writenotify,
  type VmaEnv,
} from './vma.ts';
import { linux, need, resolveVma, tablesOf, type ArchLinux } from './walk-ops.ts';
import { faultEnv, user_access, type LoopParts } from './fault-loop.ts';
import { do_mprotect_pkey, type MprotectResult } from './mprotect.ts';
import { can_change_pte_writable } from './change_protection.ts';
import { checkUffdFeatures } from './userfaultfd.ts';
import { VM_FLAG_ORDER, type VmFlag } from './vm-flags.ts';
import { geometry } from '../machine/geometry.ts';

export function env(A: ArchLinux, ctx: OpContext): VmaEnv {
  const vm_get_page_prot = A.table().vm_get_page_prot!;
  return {
    prot: A.prot,
    config: ctx.config,
    st: linux(ctx),
    vm_get_page_prot: (flags: VmFlags) => vm_get_page_prot({ vmFlags: flags }, ctx) as U64,
  };
}

/** mprotect's `prot`: PROT_* names (OpArgs.prot is a pgprot for the other ops). */
function protNames(a: OpArgs): readonly string[] {
  const p: unknown = a.prot;
  if (!Array.isArray(p) || !p.every((x) => typeof x === 'string'))
    throw new VectorFormatError('expected `prot` as a list of PROT_* names', '/args/prot');
  return p as string[];
}

export function mmOf(ctx: OpContext, a: OpArgs): Mm {
  const st = linux(ctx);
  const name = need(a.mm ?? undefined, 'argument "mm"', '/args/mm');
  return need(st.mms.get(name), `an mm name (no mm is "${name}")`, '/args/mm');
}

/** What the fault loop and mprotect need of the arch and the vector. */
export function loopParts(A: ArchLinux, ctx: OpContext): LoopParts {
  const e = env(A, ctx);
  const table = A.table();
  return {
    mmu: A.pageFault.mmu,
    g: geometry(A.desc(ctx)),
    t: tablesOf(A, ctx),
    st: linux(ctx),
    ctx,
    user: A.pageFault.user,
    entry: A.pageFault.entry,
    helper: (op, args) => table[op]?.(args, ctx),
    vmPageProt: (vma) => vmPageProt(e, vma),
    pteFlags: A.pteFlags,
    vmaEnv: e,
  };
}

/** A VMA whose vm_flags an op changed, with its flags and vm_page_prot after. */
export interface VmaAfter {
  readonly name: string;
  readonly flags: readonly VmFlag[];
  readonly vm_page_prot: U64;
}

const flagsOf = (v: Vma): string => VM_FLAG_ORDER.filter((x) => v.flags.has(x)).join();

/** Run `op` and report the VMAs of the mm whose vm_flags it changed, in address order. */
export function tracked<T>(mm: Mm, op: () => T): { out: T; vmas: VmaAfter[] } {
  const before = new Map(mm.vmas.map((v) => [v, flagsOf(v)]));
  const out = op();
  const vmas = mm.vmas
    .filter((v) => before.get(v) !== flagsOf(v))
    .map((v) => ({
      name: v.name,
      flags: VM_FLAG_ORDER.filter((x) => v.flags.has(x)),
      vm_page_prot: v.vmPageProt!,
    }));
  return { out, vmas };
}

export function faultOps(A: ArchLinux): OpTable {
  const vmaOf = (ctx: OpContext, v: string | U64 | undefined) =>
    resolveVma(linux(ctx), need(v, 'argument "vma"', '/args/vma'), '/args/vma');
  return {
    [A.pageFault.op]: (a: OpArgs, ctx: OpContext) => {
      const report = a as Readonly<Record<string, unknown>>;
      return A.pageFault.entry(mmOf(ctx, a), report, ctx.config, A.desc(ctx).vaBits);
    },
    user_access: (a: OpArgs, ctx: OpContext) => {
      const p = loopParts(A, ctx);
      checkUffdFeatures(p.st, { config: ctx.config, helper: p.helper });
      return user_access(
        p,
        mmOf(ctx, a),
        a.cpu ?? 0,
        need(a.va, 'argument "va"', '/args/va'),
        need(a.access, 'argument "access"', '/args/access'),
      );
    },
    mprotect: (a: OpArgs, ctx: OpContext): MprotectResult => {
      const mm = mmOf(ctx, a);
      const p = loopParts(A, ctx);
      const f = faultEnv(p, mm, 0);
      const { out: ret, vmas } = tracked(mm, () =>
        do_mprotect_pkey(
          f,
          env(A, ctx),
          need(a.start, 'argument "start"', '/args/start'),
          need(a.len, 'argument "len"', '/args/len'),
          protNames(a),
        ),
      );
      return {
        kind: 'mprotect',
        ret,
        vmas,
        events: f.events,
        changes: p.t.changed(),
      };
    },
    vma_wants_writenotify: (a, ctx) =>
      vma_wants_writenotify(
        env(A, ctx),
        vmaOf(ctx, a.vma),
        need(a.prot, 'argument "prot"', '/args/prot'),
      ),
    vma_set_page_prot: (a, ctx) => vma_set_page_prot(env(A, ctx), vmaOf(ctx, a.vma)),
    vma_wants_manual_pte_write_upgrade: (a, ctx) =>
      vma_wants_manual_pte_write_upgrade(env(A, ctx), vmaOf(ctx, a.vma)),
    can_change_pte_writable: (a, ctx) => {
      const table = A.table();
      const helper = (name: string, args: OpArgs) => table[name]?.(args, ctx);
      return can_change_pte_writable(
        env(A, ctx),
        helper,
        vmaOf(ctx, a.vma),
        need(a.addr, 'argument "addr"', '/args/addr'),
        need(a.pte, 'argument "pte"', '/args/pte'),
      );
    },
  };
}

/**
 * Static checks of a `user_access` step, for the loader: the CPU runs the mm, and every VMA's
 * vm_ops script can be what it claims (a file for ->fault and ->page_mkwrite, a PFN mapping for
 * ->pfn_mkwrite, CPUs and files its race actions name).
 */
export function checkUserAccess(st: LinuxState, m: Machine, a: OpArgs): void {
  const name = need(a.mm ?? undefined, 'argument "mm"', '/args/mm');
  const mm = need(st.mms.get(name), `an mm name (no mm is "${name}")`, '/args/mm');
  const cpu = m.cpus[a.cpu ?? 0];
  if (!cpu) throw new VectorFormatError(`there is no cpu ${a.cpu ?? 0} in setup.cpus`, '/args/cpu');
  if (cpu.root !== m.treeRoot(mm.tree))
    throw new VectorFormatError(
      `cpu ${a.cpu ?? 0} does not run mm "${name}": its translation root is not the mm's tree ${mm.tree}`,
      '/args/cpu',
    );
  [...st.mms.values()].forEach((each, i) =>
    each.vmas.forEach((vma, j) => {
      const at = `/setup/mms/${i}/vmas/${j}`;
      if (vma.flags.has('VM_HUGETLB')) {
        if (vma.vmOps.size > 0)
          throw new VectorFormatError(
            'a hugetlb VMA has hugetlb_vm_ops, not a script',
            `${at}/vm_ops`,
          );
        return;
      }
      if (!vma.hasVmOps) return;
      for (const op of ['fault', 'page_mkwrite'] as const)
        if (vma.vmOps.has(op) && (vma.file === undefined || !st.files.has(vma.file)))
          throw new VectorFormatError(
            `vm_ops->${op} works on the VMA's file: give the VMA a \`file\` listed in setup.files`,
            `${at}/vm_ops/${op}`,
          );
      if (
        vma.vmOps.has('pfn_mkwrite') &&
        !vma.flags.has('VM_PFNMAP') &&
        !vma.flags.has('VM_MIXEDMAP')
      )
        throw new VectorFormatError(
          'vm_ops->pfn_mkwrite is called for PFN mappings: the VMA needs VM_PFNMAP or VM_MIXEDMAP',
          `${at}/vm_ops/pfn_mkwrite`,
        );
      for (const [op, script] of Object.entries(vma.vmOpsScripts))
        (script.rules ?? []).forEach((r, k) =>
          (r.during ?? []).forEach((d, l) => {
            const here = `${at}/vm_ops/${op}/rules/${k}/during/${l}`;
            if ('access' in d && !m.cpus[d.access.cpu])
              throw new VectorFormatError(`there is no cpu ${d.access.cpu} in setup.cpus`, here);
            if ('truncate' in d && !st.files.has(d.truncate.file))
              throw new VectorFormatError(`no file "${d.truncate.file}" in setup.files`, here);
          }),
        );
    }),
  );
}
