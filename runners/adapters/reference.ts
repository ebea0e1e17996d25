// The reference engine as an Implementation: with reference-json.ts (engine values back into JSON),
// the one place outside src/ that imports src/ (DESIGN.md "Architecture"). It turns JSON arguments
// into engine values, runs them, and keeps what the loader's check learnt for the run.

import {
  checkSteps,
  runVector,
  VectorFormatError,
  type Arch,
  type VectorSetup,
  type EngineStep,
  type LinuxLevel,
  type RootArg,
  type KernelConfig,
  type Mode,
  type StepArgs,
  type StepOutcome,
} from '../../src/index.ts';
import { REFERENCE_CHOICES } from './reference-choices.ts';
import { jsonValue } from './reference-json.ts';
import type { Implementation, StepInput, VectorInput, VectorObservation } from '../adapter.ts';

export { ARCH_DESCRIPTIONS, cpuFeatures, modeDesc, opsOf } from '../../src/index.ts';
export { jsonValue };

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
  if (typeof v !== 'object' || v === null) return big(v);
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = deepBig(v[i]);
    return out;
  }
  const o = v as JsonObject;
  const out: Record<string, unknown> = {};
  for (const k in o) out[k] = deepBig(o[k]);
  return out;
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

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Mapping = NonNullable<VectorSetup['map']>[number];
type SetupCpu = NonNullable<VectorSetup['cpus']>[number];

/** A `setup.map` entry: its members as given (the builder says which are missing or too many). */
function mapping(m: JsonObject): Mapping {
  const out: Mutable<Mapping> = { va: BigInt(m.va as string), size: m.size as string };
  if (m.tree !== undefined) out.tree = m.tree as number;
  if (m.pa !== undefined) out.pa = BigInt(m.pa as string);
  if (m.fields !== undefined) out.fields = fieldMap(m.fields);
  if (m.raw !== undefined) out.raw = BigInt(m.raw as string);
  if (m.tables !== undefined) {
    const tables = new Map<LinuxLevel, Map<string, bigint>>();
    const t = m.tables as JsonObject;
    for (const l in t) tables.set(l as LinuxLevel, fieldMap(t[l]));
    out.tables = tables;
  }
  return out;
}

/**
 * A vector's JSON setup as the engine's VectorSetup. Converted for each run: a run converts each
 * setup once (the check by running answers `--impl ref`), and a WeakMap to share conversions cost
 * more than it saved (bench: about a third of the conversion's time).
 */
export function engineSetup(j: JsonObject): VectorSetup {
  const mem = j.memory as JsonObject;
  const map = (j.map ?? []) as readonly JsonObject[];
  const words = (j.words ?? []) as readonly JsonObject[];
  const cpus = j.cpus as readonly JsonObject[] | undefined;
  // The Linux members as given, absent ones undefined (the engine reads them with `??`).
  const out = {
    memory: { base: BigInt(mem.base as string), size: BigInt(mem.size as string) },
    map: map.map(mapping),
    words: words.map((w) => ({ pa: BigInt(w.pa as string), value: BigInt(w.value as string) })),
    mms: deepBig(j.mms),
    init_mm: deepBig(j.init_mm),
    zero_pfn: deepBig(j.zero_pfn),
    huge_zero_pfn: deepBig(j.huge_zero_pfn),
    folios: deepBig(j.folios),
    pages: deepBig(j.pages),
    files: deepBig(j.files),
    free_pages: deepBig(j.free_pages),
    uffds: deepBig(j.uffds),
    swap_devices: deepBig(j.swap_devices),
  } as Mutable<VectorSetup>;
  if (j.tables !== undefined) out.tables = BigInt(j.tables as string);
  if (cpus !== undefined) out.cpus = cpus.map(cpu);
  return out;
}

function cpu(c: JsonObject): SetupCpu {
  const out: Mutable<SetupCpu> = {};
  const root = rootArg(c.root);
  const root1 = rootArg(c.root1);
  if (root !== undefined) out.root = root;
  if (root1 !== undefined) out.root1 = root1;
  if (c.asid !== undefined) out.asid = c.asid as number;
  if (c.features !== undefined) out.features = c.features as Record<string, boolean | number>;
  return out;
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
