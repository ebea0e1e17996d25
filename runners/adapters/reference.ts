// The reference engine as an Implementation: the one file outside src/ that imports src/ (DESIGN.md
// "Architecture"). It turns JSON arguments into engine values and engine values back into JSON.

import {
  CONFIG_KEYS,
  hex64,
  runVector,
  VectorFormatError,
  type Arch,
  type EngineStep,
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

export { ARCH_DESCRIPTIONS, modeDesc, opsOf } from '../../src/index.ts';

const HEX = /^0x[0-9a-f]+$/;

function argValue(v: unknown): unknown {
  if (typeof v === 'string' && HEX.test(v)) return BigInt(v);
  if (Array.isArray(v)) return new Set(v as string[]);
  if (typeof v === 'object' && v !== null && !('step' in v)) {
    return new Map(
      Object.entries(v as Record<string, number | string>).map(([k, x]) => [k, BigInt(x)]),
    );
  }
  return v;
}

export function engineStep(s: StepInput): EngineStep {
  const args = Object.fromEntries(
    Object.entries(s.args).map(([k, v]) => [k, argValue(v)]),
  ) as StepArgs;
  return s.name === undefined ? { op: s.op, args } : { op: s.op, name: s.name, args };
}

export function jsonValue(v: OpValue): Json {
  if (typeof v === 'bigint') return hex64(v);
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
