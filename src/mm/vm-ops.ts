// The vector's scripted vm_operations_struct callbacks (include/linux/mm.h): which rule answers a call,
// what it returns, and what other threads and CPUs do while it runs with the page-table lock dropped.

import type { U64 } from '../bits/u64.ts';
import { VectorFormatError } from '../errors.ts';
import { i_mmap, type RaceAction, type ScriptedVmOp, type VmOpsRule } from './state.ts';
import {
  emit,
  flushPage,
  mmCpus,
  vmFaultValue,
  findPte,
  type FaultEnv,
  type VmFault,
} from './vm-fault.ts';

/** The rule that answers this call, counting it as used. */
function ruleFor(f: FaultEnv, vmf: VmFault, op: ScriptedVmOp, call: number): VmOpsRule | undefined {
  for (const r of vmf.vma.vmOpsScripts[op]?.rules ?? []) {
    const w = r.when ?? {};
    if (w.call !== undefined && w.call !== call) continue;
    if (w.address !== undefined && w.address !== vmf.address) continue;
    if (w.pgoff !== undefined && w.pgoff !== vmf.pgoff) continue;
    const used = f.st.ruleUses.get(r) ?? 0;
    if (r.times !== undefined && used >= r.times) continue;
    f.st.ruleUses.set(r, used + 1);
    return r;
  }
  return undefined;
}

/**
 * vma->vm_ops-><op>(vmf) with vmf->flags = `flags`: one event at the call, the rule's `during`
 * actions, and the return value (the rule's, the callback's default, or `dflt` of the callback's
 * behaviour when the script gives none, computed after the actions).
 */
export function callVmOp(
  f: FaultEnv,
  vmf: VmFault,
  op: ScriptedVmOp,
  flags: number,
  dflt: () => number,
): number {
  const key = `${vmf.vma.name}/${op}`;
  const call = (f.st.vmOpsCalls.get(key) ?? 0) + 1;
  f.st.vmOpsCalls.set(key, call);
  const rule = ruleFor(f, vmf, op, call);
  const e = emit(f, {
    event: op,
    vma: vmf.vma.name,
    address: vmf.address,
    pgoff: vmf.pgoff,
    flags,
  });
  for (const a of rule?.during ?? []) race(f, a);
  const names = rule?.return ?? vmf.vma.vmOpsScripts[op]?.return;
  const ret = names === undefined ? dflt() : vmFaultValue(names);
  e.ret = ret;
  return ret;
}

/** The PTE of `addr` in the faulting mm, which must exist. */
function ptePa(f: FaultEnv, addr: U64, what: string): number {
  const pa = findPte(f, f.mm, addr);
  if (pa === null)
    throw new VectorFormatError(`${what}: no PTE table maps 0x${addr.toString(16)} in the mm`);
  return pa;
}

/** A store by another thread (`what`: the race action that makes it): no TLB flush. */
function set_pte(f: FaultEnv, addr: U64, value: U64, what = 'set_pte'): void {
  f.t.write(f.mm.tree, 4, ptePa(f, addr, what), addr, value);
}

function race(f: FaultEnv, a: RaceAction): void {
  const page = 1n << BigInt(f.t.pageShift);
  if ('set_pte' in a) return set_pte(f, a.set_pte.addr & ~(page - 1n), a.set_pte.value);
  if ('zap_pte' in a) {
    const addr = a.zap_pte.addr & ~(page - 1n);
    set_pte(f, addr, 0n, 'zap_pte');
    flushPage(f.m, mmCpus(f.m, f.mm), addr);
    return;
  }
  if ('truncate' in a) {
    const { file, index } = a.truncate;
    const mapping = f.st.files.get(file);
    if (!mapping) throw new VectorFormatError(`truncate: no file "${file}" in setup.files`);
    // truncate_pagecache: unmap_mapping_range(..., even_cows=1), then the folio leaves the cache.
    for (const vma of i_mmap(f.st, file, index, index, page)) {
      const addr = vma.start + ((index - vma.pgoff) << BigInt(f.t.pageShift));
      const pa = findPte(f, vma.mm, addr);
      if (pa === null || f.t.read(pa) === 0n) continue;
      f.t.write(vma.mm.tree, 4, pa, addr, 0n);
      flushPage(f.m, mmCpus(f.m, vma.mm), addr);
    }
    const folio = mapping.cache.get(index);
    if (folio) f.st.cached.delete(folio.pfn);
    mapping.cache.delete(index);
    return;
  }
  const { cpu, va, access } = a.access;
  if (!f.m.cpus[cpu]) throw new VectorFormatError(`access: there is no cpu ${cpu} in setup.cpus`);
  f.otherAccess(cpu, va, access);
}
