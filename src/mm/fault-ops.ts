// The fault family's ops over a vector's mm state: the writenotify decision and the vm_page_prot it
// gives a VMA (src/mm/vma.ts).

import type { OpArgs, OpContext, OpTable } from '../ops/types.ts';
import type { U64 } from '../bits/u64.ts';
import type { VmFlags } from './vm-flags.ts';
import { can_change_pte_writable } from './mprotect.ts';
import {
  vma_set_page_prot,
  vma_wants_manual_pte_write_upgrade,
  vma_wants_writenotify,
  type VmaEnv,
} from './vma.ts';
import { linux, need, resolveVma, type ArchLinux } from './walk-ops.ts';

function env(A: ArchLinux, ctx: OpContext): VmaEnv {
  const vm_get_page_prot = A.table().vm_get_page_prot!;
  return {
    prot: A.prot,
    config: ctx.config,
    st: linux(ctx),
    vm_get_page_prot: (flags: VmFlags) => vm_get_page_prot({ vmFlags: flags }, ctx) as U64,
  };
}

export function faultOps(A: ArchLinux): OpTable {
  const vmaOf = (ctx: OpContext, v: string | U64 | undefined) =>
    resolveVma(linux(ctx), need(v, 'argument "vma"', '/args/vma'), '/args/vma');
  return {
    [A.pageFault.op]: (a: OpArgs, ctx: OpContext) => {
      const st = linux(ctx);
      const name = need(a.mm ?? undefined, 'argument "mm"', '/args/mm');
      const mm = need(st.mms.get(name), `an mm name (no mm is "${name}")`, '/args/mm');
      const report = a as Readonly<Record<string, unknown>>;
      return A.pageFault.entry(mm, report, ctx.config, A.desc(ctx).vaBits);
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
