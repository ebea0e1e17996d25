// The reference engine as an Implementation: the one file outside src/ that imports src/ (DESIGN.md
// "Architecture"). It turns JSON arguments into engine values and engine values back into JSON.

import {
  buildSetup,
  CONFIG_KEYS,
  hex64,
  runVector,
  VectorFormatError,
  type AccessOutcome,
  type Arch,
  type ArchReport,
  type EngineSetup,
  type EngineStep,
  type LinuxLevel,
  type RootArg,
  type KernelConfig,
  type Mode,
  type OpValue,
  type StepArgs,
} from '../../src/index.ts';
import type {
  Implementation,
  Json,
  StepInput,
  StepObservation,
  VectorInput,
  VectorObservation,
} from '../adapter.ts';

export { ARCH_DESCRIPTIONS, cpuFeatures, modeDesc, opsOf } from '../../src/index.ts';

const HEX = /^0x[0-9a-f]+$/;

type JsonObject = Readonly<Record<string, unknown>>;

/** Field name to value (integer or hex) as the engine's Map of bigint. */
function fieldMap(v: unknown): Map<string, bigint> {
  return new Map(
    Object.entries(v as Record<string, number | string>).map(([k, x]) => [k, BigInt(x)]),
  );
}

const big = (v: unknown): unknown => (typeof v === 'string' && HEX.test(v) ? BigInt(v) : v);

function argValue(k: string, v: unknown): unknown {
  if (k === 'fields') return fieldMap(v);
  if (k === 'vmFlags') return new Set(v as string[]);
  return big(v);
}

function rootArg(v: unknown): RootArg | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'string' ? BigInt(v) : (v as { tree: number });
}

/** A vector's JSON setup as the engine's EngineSetup. */
export function engineSetup(j: JsonObject): EngineSetup {
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
      pa: BigInt(m.pa as string),
      size: m.size as string,
      fields: fieldMap(m.fields),
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

/** Why a vector's setup cannot be built (pointer relative to the vector), or undefined. */
export function setupProblem(
  arch: string,
  mode: string,
  setup: unknown,
): { pointer: string; message: string } | undefined {
  try {
    buildSetup(arch as Arch, mode as Mode, engineSetup(setup as JsonObject));
    return undefined;
  } catch (e) {
    if (e instanceof VectorFormatError) return { pointer: e.pointer, message: e.message };
    throw e;
  }
}

export function engineStep(s: StepInput): EngineStep {
  const args = Object.fromEntries(
    Object.entries(s.args).map(([k, v]) => [k, argValue(k, v)]),
  ) as StepArgs;
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

export function jsonValue(v: OpValue): Json {
  if (typeof v === 'bigint') return hex64(v);
  if (v === null) return null;
  if (typeof v === 'object' && 'kind' in v) return accessJson(v);
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

function engineConfig(c: VectorInput['config']): KernelConfig {
  const out: Record<string, boolean> = {};
  for (const k of CONFIG_KEYS) out[k] = c[k];
  return out as unknown as KernelConfig;
}

export function observe(input: VectorInput): VectorObservation {
  try {
    const outcomes = runVector({
      arch: input.arch as Arch,
      mode: input.mode as Mode,
      config: engineConfig(input.config),
      ...(input.setup === undefined ? {} : { setup: engineSetup(input.setup as JsonObject) }),
      steps: input.steps.map(engineStep),
    });
    const steps: StepObservation[] = outcomes.map((o) =>
      o.kind === 'value'
        ? { kind: 'result', result: jsonValue(o.value) }
        : { kind: 'unsupported', reason: o.reason },
    );
    return { kind: 'observed', steps };
  } catch (e) {
    if (e instanceof VectorFormatError)
      return { kind: 'error', reason: `invalid vector at ${e.pointer || '/'}: ${e.message}` };
    throw e;
  }
}

export function referenceImplementation(): Implementation {
  return {
    name: 'ref',
    version: 'ptvec reference engine',
    choices: {},
    run: (vectors) => Promise.resolve(vectors.map(observe)),
    close: () => Promise.resolve(),
  };
}
