// The reference engine as an Implementation: the one file outside src/ that imports src/ (DESIGN.md
// "Architecture"). It turns JSON arguments into engine values and engine values back into JSON.

import {
  checkSteps,
  hex64,
  runVector,
  VectorFormatError,
  type AccessOutcome,
  type Arch,
  type ArchReport,
  type VectorSetup,
  type LinuxOpResult,
  type EntryChange,
  type WalkEvent,
  type EngineStep,
  type LinuxLevel,
  type RootArg,
  type KernelConfig,
  type Mode,
  type OpValue,
  type StepArgs,
  type StepOutcome,
  faultFlagNames,
  vmFaultNames,
  bitmapWords,
  type FaultEvent,
  type FaultLoopResult,
  type MprotectResult,
  type DirtyResult,
  type UffdResult,
  type Signal,
} from '../../src/index.ts';
import { REFERENCE_CHOICES } from './reference-choices.ts';
import type {
  Implementation,
  Json,
  StepInput,
  VectorInput,
  VectorObservation,
} from '../adapter.ts';

export { ARCH_DESCRIPTIONS, cpuFeatures, modeDesc, opsOf } from '../../src/index.ts';

const HEX = /^0x[0-9a-f]+$/;

type JsonObject = Readonly<Record<string, unknown>>;

/** Field name to value (integer or hex) as the engine's Map of bigint. */
function fieldMap(v: unknown): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const o = v as Readonly<Record<string, number | string>>;
  for (const k in o) out.set(k, BigInt(o[k]!));
  return out;
}

// Loops rather than Object.entries/fromEntries: every step's arguments pass through here.
const big = (v: unknown): unknown =>
  typeof v === 'string' && v.charCodeAt(1) === 0x78 && HEX.test(v) ? BigInt(v) : v;

/** Hex strings anywhere inside a JSON value as bigint (walk scripts: `write`, `when.addr`). */
function deepBig(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(deepBig);
  if (typeof v === 'object' && v !== null) {
    const o = v as JsonObject;
    const out: Record<string, unknown> = {};
    for (const k in o) out[k] = deepBig(o[k]);
    return out;
  }
  return big(v);
}

function argValue(k: string, v: unknown): unknown {
  if (k === 'fields') return fieldMap(v);
  if (k === 'ops') return deepBig(v);
  if (k === 'vmFlags') return new Set(v as string[]);
  if (k === 'bitmap' && Array.isArray(v)) return v.map((x) => big(x));
  return big(v);
}

function rootArg(v: unknown): RootArg | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'string' ? BigInt(v) : (v as { tree: number });
}

// The engine only reads a VectorSetup (it builds its own state from it), so one conversion serves
// every run of the same JSON setup: the loader's checks, the dry run and `--impl ref`'s answer.
const setups = new WeakMap<JsonObject, VectorSetup>();

/** A vector's JSON setup as the engine's VectorSetup. */
export function engineSetup(j: JsonObject): VectorSetup {
  let out = setups.get(j);
  if (!out) {
    out = convertSetup(j);
    setups.set(j, out);
  }
  return out;
}

function convertSetup(j: JsonObject): VectorSetup {
  const mem = j.memory as JsonObject;
  const map = (j.map ?? []) as readonly JsonObject[];
  const words = (j.words ?? []) as readonly JsonObject[];
  const cpus = j.cpus as readonly JsonObject[] | undefined;
  return {
    memory: { base: BigInt(mem.base as string), size: BigInt(mem.size as string) },
    ...(j.tables === undefined ? {} : { tables: BigInt(j.tables as string) }),
    map: map.map((m) => ({
      ...(m.tree === undefined ? {} : { tree: m.tree as number }),
      va: BigInt(m.va as string),
      // As given: the builder says which of pa, fields and raw are missing or too many.
      ...(m.pa === undefined ? {} : { pa: BigInt(m.pa as string) }),
      ...(m.fields === undefined ? {} : { fields: fieldMap(m.fields) }),
      ...(m.raw === undefined ? {} : { raw: BigInt(m.raw as string) }),
      size: m.size as string,
      ...(m.tables === undefined
        ? {}
        : {
            tables: new Map(
              Object.entries(m.tables as JsonObject).map(([l, f]) => [
                l as LinuxLevel,
                fieldMap(f),
              ]),
            ),
          }),
    })),
    words: words.map((w) => ({ pa: BigInt(w.pa as string), value: BigInt(w.value as string) })),
    ...(deepBig({
      mms: j.mms,
      init_mm: j.init_mm,
      zero_pfn: j.zero_pfn,
      huge_zero_pfn: j.huge_zero_pfn,
      folios: j.folios,
      pages: j.pages,
      files: j.files,
      free_pages: j.free_pages,
      uffds: j.uffds,
      swap_devices: j.swap_devices,
    }) as Pick<
      VectorSetup,
      | 'mms'
      | 'init_mm'
      | 'zero_pfn'
      | 'huge_zero_pfn'
      | 'folios'
      | 'pages'
      | 'files'
      | 'free_pages'
      | 'uffds'
      | 'swap_devices'
    >),
    ...(cpus === undefined
      ? {}
      : {
          cpus: cpus.map((c) => {
            const root = rootArg(c.root);
            const root1 = rootArg(c.root1);
            return {
              ...(root === undefined ? {} : { root }),
              ...(root1 === undefined ? {} : { root1 }),
              ...(c.asid === undefined ? {} : { asid: c.asid as number }),
              ...(c.features === undefined
                ? {}
                : { features: c.features as Record<string, boolean | number> }),
            };
          }),
        }),
  };
}

/** Why a vector cannot run: its setup does not build or a step names what does not exist (pointer
 * relative to the vector), or undefined. */
export function vectorProblem(
  arch: string,
  mode: string,
  setup: unknown,
  steps: readonly StepInput[],
): { pointer: string; message: string } | undefined {
  const e = checkSteps({
    arch: arch as Arch,
    mode: mode as Mode,
    config: {} as KernelConfig,
    ...(setup === undefined ? {} : { setup: engineSetup(setup as JsonObject) }),
    steps: steps.map(engineStep),
  });
  return e && { pointer: e.pointer, message: e.message };
}

export function engineStep(s: StepInput): EngineStep {
  const given = s.args as JsonObject;
  const out: Record<string, unknown> = {};
  for (const k in given) out[k] = argValue(k, given[k]);
  const args = out as StepArgs;
  return s.name === undefined ? { op: s.op, args } : { op: s.op, name: s.name, args };
}

const hex = (n: number, digits: number) => '0x' + n.toString(16).padStart(digits, '0');

function reportJson(r: ArchReport): Json {
  if ('exception' in r)
    return r.exception === '#PF'
      ? { exception: r.exception, errorCode: hex(r.errorCode, 4), cr2: hex64(r.cr2) }
      : { exception: r.exception, errorCode: hex(r.errorCode, 4) };
  if ('ec' in r)
    return {
      ec: hex(r.ec, 2),
      fsc: hex(r.fsc, 2),
      ...(r.wnr === undefined ? {} : { wnr: r.wnr }),
      far: hex64(r.far),
    };
  return { scause: r.scause, stval: hex64(r.stval) };
}

function accessJson(o: AccessOutcome): Json {
  const updates = o.updates.map((u) => ({ pa: hex64(BigInt(u.pa)), value: hex64(u.value) }));
  return o.kind === 'translated'
    ? { translated: { pa: hex64(BigInt(o.pa)), level: o.level }, updates }
    : { fault: { class: o.class, level: o.level, report: reportJson(o.report) }, updates };
}

function eventJson(e: WalkEvent): Json {
  const out: Record<string, Json> = {};
  const o = e as unknown as JsonObject;
  for (const k in o) {
    const x = o[k];
    out[k] = typeof x === 'bigint' ? hex64(x) : (x as Json);
  }
  return out;
}

const entryJson = (c: EntryChange, x: bigint): string => (c.isTable(x) ? 'table' : hex64(x));

function changeJson(c: EntryChange): Json {
  return {
    tree: c.tree,
    level: c.level,
    addr: hex64(c.addr),
    old: entryJson(c, c.old),
    new: entryJson(c, c.new),
  };
}

function signalJson(s: Signal): Json {
  return { si_signo: s.signo, si_code: s.code, si_addr: hex64(s.addr) };
}

function faultEventJson(e: FaultEvent): Json {
  const out: Record<string, Json> = {};
  const o = e as unknown as JsonObject;
  for (const k in o) {
    const x = o[k];
    if (k === 'flags') out[k] = faultFlagNames(x as number);
    else if (k === 'ret') out[k] = vmFaultNames(x as number);
    else if (k === 'report') out[k] = reportJson(x as ArchReport);
    else out[k] = typeof x === 'bigint' ? hex64(x) : (x as Json);
  }
  return out;
}

function faultLoopJson(r: FaultLoopResult): Json {
  const o = r.outcome;
  const outcome: Json =
    o.kind === 'translated'
      ? { translated: { pa: hex64(BigInt(o.pa)), level: o.level } }
      : o.kind === 'signal'
        ? { signal: signalJson(o.signal) }
        : o.kind === 'blocked'
          ? { blocked: { uffd: o.uffd, flags: [...o.flags], address: hex64(o.address) } }
          : { pagefault_out_of_memory: true };
  return { outcome, events: r.events.map(faultEventJson), changes: r.changes.map(changeJson) };
}

function uffdJson(r: UffdResult): Json {
  const out: Record<string, Json> = { ret: r.ret };
  if (r.features) out.features = [...r.features];
  if (r.ioctls) out.ioctls = [...r.ioctls];
  if (r.vmas)
    out.vmas = r.vmas.map((v) => ({
      name: v.name,
      flags: [...v.flags],
      vm_page_prot: hex64(v.vm_page_prot),
    }));
  if (r.events) out.events = r.events.map(faultEventJson);
  if (r.changes) out.changes = r.changes.map(changeJson);
  if (r.woken)
    out.woken = r.woken.map((w) => ({
      cpu: w.cpu,
      va: hex64(w.va),
      result: faultLoopJson(w.result),
    }));
  return out;
}

function mprotectJson(r: MprotectResult): Json {
  return {
    ret: r.ret,
    vmas: r.vmas.map((v) => ({
      name: v.name,
      flags: [...v.flags],
      vm_page_prot: hex64(v.vm_page_prot),
    })),
    events: r.events.map(faultEventJson),
    changes: r.changes.map(changeJson),
  };
}

function dirtyJson(r: DirtyResult): Json {
  const c = r.clean;
  return {
    ret: Number(r.ret),
    ...(c ? { bitmap: bitmapWords(c).map(hex64), start: hex64(c.start), end: hex64(c.end) } : {}),
    events: r.events.map(eventJson),
    changes: r.changes.map(changeJson),
  };
}

function linuxJson(r: LinuxOpResult): Json {
  if (r.kind === 'fault_loop') return faultLoopJson(r);
  if (r.kind === 'dirty') return dirtyJson(r);
  if (r.kind === 'mprotect') return mprotectJson(r);
  if (r.kind === 'uffd') return uffdJson(r);
  if (r.kind === 'zap')
    return { ret: r.ret, events: r.events.map(faultEventJson), changes: r.changes.map(changeJson) };
  if (r.kind === 'pagemap') return { entries: r.entries.map(hex64) };
  if (r.kind === 'munmap')
    return {
      ret: r.ret,
      vmas: r.vmas.map((v) => ({
        name: v.name,
        start: hex64(v.start),
        end: hex64(v.end),
        pgoff: hex64(v.pgoff),
        flags: [...v.flags],
        ...(v.uffd === undefined ? {} : { uffd: v.uffd }),
      })),
      events: r.events.map(faultEventJson),
      changes: r.changes.map(changeJson),
      uffd_events: r.uffd_events.map((u) => ({
        uffd: u.uffd,
        event: u.event,
        start: hex64(u.start),
        end: hex64(u.end),
      })),
    };
  if (r.kind === 'pagemap_scan')
    return {
      ret: r.ret,
      regions: r.regions.map((g) => ({
        start: hex64(g.start),
        end: hex64(g.end),
        categories: [...g.categories],
      })),
      walk_end: r.walk_end === null ? null : hex64(r.walk_end),
      events: r.events.map(faultEventJson),
      changes: r.changes.map(changeJson),
    };
  if (r.kind === 'walk')
    return { ret: r.ret, events: r.events.map(eventJson), changes: r.changes.map(changeJson) };
  if (r.kind === 'page_fault_entry') {
    if ('signal' in r) return { signal: signalJson(r.signal) };
    const h = r.handle_mm_fault;
    return {
      handle_mm_fault: {
        vma: h.vma.name,
        address: hex64(h.address),
        flags: faultFlagNames(h.flags),
      },
    };
  }
  if (r.folio === null) return { folio: null, events: r.events.map(eventJson) };
  return {
    folio: hex64(r.folio),
    page: r.page === null || r.page === undefined ? null : hex64(r.page),
    level: r.level ?? null,
    value: r.value === undefined ? null : hex64(r.value),
    events: r.events.map(eventJson),
  };
}

export function jsonValue(v: OpValue): Json {
  if (typeof v === 'bigint') return hex64(v);
  if (v === null) return null;
  if (typeof v === 'object' && 'kind' in v)
    return v.kind === 'walk' ||
      v.kind === 'folio_walk' ||
      v.kind === 'page_fault_entry' ||
      v.kind === 'fault_loop' ||
      v.kind === 'mprotect' ||
      v.kind === 'dirty' ||
      v.kind === 'uffd' ||
      v.kind === 'zap' ||
      v.kind === 'pagemap' ||
      v.kind === 'pagemap_scan' ||
      v.kind === 'munmap'
      ? linuxJson(v)
      : accessJson(v);
  // An instruction's exception instead of completing (x86 MOV to CR3/CR4: #GP(0)).
  if (typeof v === 'object' && 'exception' in v) return reportJson(v);
  if (typeof v === 'object') {
    const fields: Record<string, Json> = {};
    for (const [name, f] of v.fields) {
      fields[name] =
        f.width <= 32
          ? Number(f.value)
          : '0x' + f.value.toString(16).padStart(Math.ceil(f.width / 4), '0');
    }
    return { format: v.format, fields };
  }
  return v;
}

/**
 * The engine's KernelConfig from the resolved config: CONFIG_KEYS, written out so that each vector's
 * copy is one object literal (the compiler checks that none is missing).
 */
function engineConfig(c: VectorInput['config']): KernelConfig {
  return {
    CONFIG_MEM_SOFT_DIRTY: c.CONFIG_MEM_SOFT_DIRTY,
    CONFIG_USERFAULTFD: c.CONFIG_USERFAULTFD,
    CONFIG_PTE_MARKER_UFFD_WP: c.CONFIG_PTE_MARKER_UFFD_WP,
    CONFIG_TRANSPARENT_HUGEPAGE: c.CONFIG_TRANSPARENT_HUGEPAGE,
    CONFIG_MIGRATION: c.CONFIG_MIGRATION,
    CONFIG_DEVICE_PRIVATE: c.CONFIG_DEVICE_PRIVATE,
    CONFIG_MEMORY_FAILURE: c.CONFIG_MEMORY_FAILURE,
    X86_FEATURE_SHSTK: c.X86_FEATURE_SHSTK,
    CONFIG_X86_USER_SHADOW_STACK: c.CONFIG_X86_USER_SHADOW_STACK,
    CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS: c.CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS,
    ARM64_HAS_EPAN: c.ARM64_HAS_EPAN,
    Svrsw60t59b: c.Svrsw60t59b,
    Svpbmt: c.Svpbmt,
    Svnapot: c.Svnapot,
    Svvptc: c.Svvptc,
    variant: c.variant,
  };
}

/** What the engine made of a vector: its steps' outcomes, a format error it found while running, or a
 * failure of its own. */
type EngineRun =
  | { readonly kind: 'ran'; readonly outcomes: readonly StepOutcome[] }
  | { readonly kind: 'invalid'; readonly pointer: string; readonly message: string }
  | { readonly kind: 'failed'; readonly reason: string };

// The loader's run of a vector (runtimeProblem), kept for `--impl ref` to answer with once, unless it
// is large: a run keeps few of those at a time, so it computes them again rather than hold them all.
const checked = new WeakMap<VectorInput, EngineRun>();
const KEEP_UP_TO = 4096;

/** The events and changes an engine run holds. */
function weight(r: EngineRun): number {
  if (r.kind !== 'ran') return 0;
  let n = 0;
  for (const o of r.outcomes)
    if (o.kind === 'value' && typeof o.value === 'object' && o.value !== null && 'kind' in o.value)
      if (
        o.value.kind === 'walk' ||
        o.value.kind === 'fault_loop' ||
        o.value.kind === 'mprotect' ||
        o.value.kind === 'dirty' ||
        o.value.kind === 'zap' ||
        o.value.kind === 'pagemap_scan' ||
        o.value.kind === 'munmap'
      )
        n += o.value.events.length + o.value.changes.length;
      else if (o.value.kind === 'folio_walk') n += o.value.events.length;
      else if (o.value.kind === 'uffd')
        n +=
          (o.value.events?.length ?? 0) +
          (o.value.changes?.length ?? 0) +
          (o.value.woken ?? []).reduce((k, w) => k + w.result.events.length, 0);
  return n;
}

function engineRun(input: VectorInput, check = false): EngineRun {
  try {
    const outcomes = runVector(
      {
        arch: input.arch as Arch,
        mode: input.mode as Mode,
        config: engineConfig(input.config),
        ...(input.setup === undefined ? {} : { setup: engineSetup(input.setup as JsonObject) }),
        steps: input.steps.map(engineStep),
      },
      check,
    );
    return { kind: 'ran', outcomes };
  } catch (e) {
    if (e instanceof VectorFormatError)
      return { kind: 'invalid', pointer: e.pointer, message: e.message };
    // A bug of the engine: this vector's verdict says so, and the run goes on.
    const err = e instanceof Error ? e : new Error(String(e));
    return {
      kind: 'failed',
      reason: `the reference engine failed on this vector (a bug of ptvec: please report it): ${err.name}: ${err.message}`,
    };
  }
}

function observation(r: EngineRun): VectorObservation {
  if (r.kind === 'failed') return { kind: 'error', reason: r.reason };
  if (r.kind === 'invalid')
    return { kind: 'error', reason: `invalid vector at ${r.pointer || '/'}: ${r.message}` };
  return {
    kind: 'observed',
    steps: r.outcomes.map((o) =>
      o.kind === 'value'
        ? { kind: 'result', result: jsonValue(o.value) }
        : { kind: 'unsupported', reason: o.reason },
    ),
  };
}

export const observe = (input: VectorInput): VectorObservation => observation(engineRun(input));

/**
 * What running a vector shows about its validity (a setup that does not build, a step naming what
 * does not exist, its work budget, an endless walk, a value of the wrong kind): the format error,
 * with a pointer relative to the vector, or undefined.
 */
export function runtimeProblem(
  input: VectorInput,
): { pointer: string; message: string } | undefined {
  const r = engineRun(input, true);
  if (weight(r) <= KEEP_UP_TO) checked.set(input, r);
  return r.kind === 'invalid' ? { pointer: r.pointer, message: r.message } : undefined;
}

export { REFERENCE_CHOICES };

export function referenceImplementation(): Implementation {
  return {
    name: 'ref',
    version: 'ptvec reference engine',
    choices: REFERENCE_CHOICES,
    run: (vectors, answered) => {
      vectors.forEach((v, i) => {
        const r = checked.get(v) ?? engineRun(v);
        checked.delete(v);
        answered(i, observation(r));
      });
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}
