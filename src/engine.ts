// Run one vector's steps against the model: resolve step references, call each op, and return what
// each step produced. Faults and false predicates are values; a gap is `unsupported`; bad input is a
// VectorFormatError; anything else is a bug and propagates.

import type { Arch, KernelConfig, Mode } from './config.ts';
import { UnsupportedError, VectorFormatError } from './errors.ts';
import { buildMachine, type EngineSetup } from './machine/builder.ts';
import { geometry } from './machine/geometry.ts';
import type { Machine } from './machine/types.ts';
import { lookupOp, modeDesc, MMUS } from './ops/registry.ts';
import type { OpArgs, OpValue } from './ops/types.ts';

/** A reference to an earlier step's result. */
export interface StepRef {
  readonly step: string;
}
export type StepArgs = { readonly [K in keyof OpArgs]?: OpArgs[K] | StepRef };

export interface EngineStep {
  readonly op: string;
  readonly name?: string;
  readonly args: StepArgs;
}
export interface EngineVector {
  readonly arch: Arch;
  readonly mode: Mode;
  readonly config: KernelConfig;
  readonly setup?: EngineSetup;
  readonly steps: readonly EngineStep[];
}

/** Build a vector's machine from its setup; a VectorFormatError names the bad entry. */
export function buildSetup(arch: Arch, mode: Mode, setup: EngineSetup): Machine {
  return buildMachine(MMUS[arch], geometry(modeDesc(arch, mode)), setup);
}
export type StepOutcome =
  | { readonly kind: 'value'; readonly value: OpValue }
  | { readonly kind: 'unsupported'; readonly reason: string };

function isRef(v: unknown): v is StepRef {
  return typeof v === 'object' && v !== null && 'step' in v;
}

function resolve(args: StepArgs, named: ReadonlyMap<string, OpValue>, i: number): OpArgs {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (!isRef(v)) {
      out[k] = v;
      continue;
    }
    const val = named.get(v.step);
    if (val === undefined) {
      throw new VectorFormatError(
        `step "${v.step}" is not an earlier step of this vector`,
        `/steps/${i}/args/${k}`,
      );
    }
    if (typeof val !== 'bigint') {
      throw new VectorFormatError(
        `step "${v.step}" produced a ${typeof val}, not a 64-bit value`,
        `/steps/${i}/args/${k}`,
      );
    }
    out[k] = val;
  }
  return out as OpArgs;
}

export function runVector(v: EngineVector): StepOutcome[] {
  const named = new Map<string, OpValue>();
  const machine = v.setup ? buildSetup(v.arch, v.mode, v.setup) : undefined;
  const ctx = { arch: v.arch, mode: v.mode, config: v.config, ...(machine ? { machine } : {}) };
  const out: StepOutcome[] = [];
  let blocked: string | undefined;
  v.steps.forEach((s, i) => {
    if (blocked !== undefined) {
      out.push({ kind: 'unsupported', reason: blocked });
      return;
    }
    try {
      const value = lookupOp(v.arch, s.op)(resolve(s.args, named, i), ctx);
      if (s.name !== undefined) named.set(s.name, value);
      out.push({ kind: 'value', value });
    } catch (e) {
      if (!(e instanceof UnsupportedError)) throw e;
      // Later steps may depend on this one: the rest of the vector is unsupported too.
      blocked = e.message;
      out.push({ kind: 'unsupported', reason: e.message });
    }
  });
  return out;
}
