// ts-sim: a riscv64 MMU simulator checked in process by ptvec. It runs the `mmu` and `tlb` vectors of
// Sv39, Sv48 and Sv57: each vector on a fresh machine built from its setup, its steps in order, one
// observation per step in the shape of the schema's step results. It imports only the library API.

import type { Implementation, Json, StepObservation, VectorInput, VectorObservation } from 'ptvec';
import { argsOf, featureKeys, isObject, Machine, setFeatures } from './builder.ts';
import { hex64, parseHex, SimError } from './memory.ts';
import type { Access, Outcome } from './riscv-mmu.ts';

const MODES: Readonly<Record<string, number>> = { sv39: 3, sv48: 4, sv57: 5 };
const OPS = ['access', 'read', 'write', 'set_features', 'sfence_vma', 'write_satp'];

type Args = { readonly [k: string]: Json };

/** `{"step": NAME}` as a whole argument is the result of the earlier step of that name. */
function substitute(args: Args, named: ReadonlyMap<string, Json>): Args {
  return Object.fromEntries(
    Object.entries(args).map(([k, v]) => {
      if (!isObject(v) || Object.keys(v).length !== 1 || typeof v.step !== 'string') return [k, v];
      const r = named.get(v.step);
      if (r === undefined)
        throw new SimError(`${k} refers to step "${v.step}", which is not an earlier named step`);
      return [k, r];
    }),
  );
}

const intArg = (v: Json | undefined, what: string, max: number): number | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
    throw new SimError(`${what} must be 0..${max}`);
  return v;
};

function outcomeJson(m: Machine, o: Outcome, va: bigint): Json {
  const updates = o.updates.map(([pa, value]) => ({ pa: hex64(pa), value: hex64(value) }));
  if (o.kind === 'translated')
    return { translated: { pa: hex64(o.pa), level: m.mmu.levelName(o.level) }, updates };
  const level = o.level === null ? null : m.mmu.levelName(o.level);
  return {
    fault: { class: o.cls, level, report: { scause: o.scause, stval: hex64(va) } },
    updates,
  };
}

/** One step on the machine: its result (null for steps that produce none). */
function step(m: Machine, op: string, a: Args): Json {
  const hart = () => {
    const h = m.harts[intArg(a.cpu, `${op}: cpu`, 7) ?? 0];
    if (!h) throw new SimError(`${op}: cpu is not in setup.cpus`);
    return h;
  };
  switch (op) {
    case 'access': {
      const va = parseHex(a.va, 'access: va');
      if (a.access !== 'load' && a.access !== 'store' && a.access !== 'fetch')
        throw new SimError('access: access must be load, store or fetch');
      if (a.priv !== 'user' && a.priv !== 'supervisor')
        throw new SimError('access: priv must be user or supervisor');
      const access: Access = a.access;
      return outcomeJson(m, m.mmu.translate(hart(), va, access, a.priv === 'user'), va);
    }
    case 'read':
      return hex64(m.mmu.mem.read64(m.wordPa(a.pa, 'read')));
    case 'write':
      // A software store: no TLB is touched.
      m.mmu.mem.write64(m.wordPa(a.pa, 'write'), parseHex(a.value, 'write: value'));
      return null;
    case 'set_features':
      setFeatures(hart(), a.features, 'set_features');
      return null;
    case 'sfence_vma':
      m.mmu.sfence(
        hart(),
        a.va === undefined ? undefined : parseHex(a.va, 'sfence_vma: va'),
        intArg(a.asid, 'asid', 0xffff),
      );
      return null;
    case 'write_satp': {
      // CSRW satp neither orders nor invalidates.
      const h = hart();
      h.root = m.root(a.root, 'write_satp');
      h.asid = intArg(a.asid, 'asid', 0xffff) ?? 0;
      return null;
    }
  }
  throw new SimError(`no op ${op}`);
}

/** A vector on a fresh machine: one observation per step; after an op it lacks, every step is unsupported. */
export function observe(v: VectorInput): VectorObservation {
  try {
    const levels = MODES[v.mode];
    if (levels === undefined) throw new SimError(`ts-sim has no riscv64 mode ${v.mode}`);
    const m = new Machine(levels, v.setup, v.steps);
    const named = new Map<string, Json>();
    let missing: string | undefined;
    const steps = v.steps.map((s): StepObservation => {
      missing ??= OPS.includes(s.op) ? undefined : `ts-sim has no riscv64 op ${s.op}`;
      if (missing !== undefined) return { kind: 'unsupported', reason: missing };
      const result = step(m, s.op, substitute(argsOf(s), named));
      if (s.name !== undefined) named.set(s.name, result);
      return { kind: 'result', result };
    });
    return { kind: 'observed', steps };
  } catch (e) {
    if (e instanceof SimError) return { kind: 'error', reason: e.message };
    throw e;
  }
}

/** The CPU features a vector sets, in its setup and in set_features steps. */
function featuresSet(v: VectorInput): string[] {
  const cpus = isObject(v.setup) && Array.isArray(v.setup.cpus) ? v.setup.cpus : [];
  const sets = [
    ...cpus.map((c) => (isObject(c) ? c.features : undefined)),
    ...v.steps.filter((s) => s.op === 'set_features').map((s) => argsOf(s).features),
  ];
  return sets.flatMap((f) => (isObject(f) ? Object.keys(f) : []));
}

/** The simulator as a ptvec Implementation: what it does not model is skipped with the reason. */
export function tsSimImplementation(): Implementation {
  return {
    name: 'ts-sim',
    version: '1.0.0',
    choices: {},
    notCovered(v) {
      if (v.arch !== 'riscv64') return `ts-sim models riscv64 only, not ${v.arch}`;
      if (v.family !== 'mmu' && v.family !== 'tlb')
        return `ts-sim models the mmu and tlb families, not ${v.family}`;
      if (MODES[v.mode] === undefined) return `ts-sim has no riscv64 mode ${v.mode}`;
      const unknown = featuresSet(v).find((k) => !featureKeys.includes(k));
      return unknown === undefined ? undefined : `ts-sim does not model the feature ${unknown}`;
    },
    run(vectors, answered) {
      vectors.forEach((v, i) => answered(i, observe(v)));
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}
