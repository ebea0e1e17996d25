// Run one vector's steps against the model: resolve step references, call each op, and return what
// each step produced. Faults and false predicates are values; a gap is `unsupported`; bad input is a
// VectorFormatError; anything else is a bug and propagates.

import type { Arch, KernelConfig, Mode } from './config.ts';
import { UnsupportedError, VectorFormatError } from './errors.ts';
import { buildMachine, type EngineSetup } from './machine/builder.ts';
import { geometry } from './machine/geometry.ts';
import type { Machine } from './machine/types.ts';
import { buildLinux, linuxTrees } from './mm/setup.ts';
import { taskSize } from './mm/munmap.ts';
import type { LinuxSetup, LinuxState } from './mm/state.ts';
import { checkUserAccess, faultOps } from './mm/fault-ops.ts';
import { checkDirtyArgs, dirtyOps } from './mm/dirty-ops.ts';
import { checkWalkArgs, pageattrOps, walkOps } from './mm/walk-ops.ts';
import { checkEntryArgs, LINUX, lookupOp, modeDesc, MMUS } from './registry.ts';
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
  readonly setup?: VectorSetup;
  readonly steps: readonly EngineStep[];
}

/** A vector's setup: the machine's and the Linux mm state's. */
export type VectorSetup = EngineSetup & LinuxSetup;

export interface Built {
  readonly machine: Machine;
  readonly linux: LinuxState | undefined;
}

/** Build a vector's machine and mm state from its setup; a VectorFormatError names the bad entry. */
export function buildSetup(arch: Arch, mode: Mode, setup: VectorSetup): Built {
  const g = geometry(modeDesc(arch, mode));
  const mmu = MMUS[arch];
  const kernelTree = setup.init_mm?.tree;
  const userTrees = new Set((setup.mms ?? []).map((m) => m.tree ?? 0));
  const hasLinux = setup.mms !== undefined || setup.init_mm !== undefined;
  // Trees of an mm or of init_mm are built as Linux builds them: with pXd_populate's table entries.
  const tableEntry = (tree: number, pa: bigint) =>
    tree === kernelTree
      ? LINUX[arch].upper.populate(pa, true)
      : userTrees.has(tree)
        ? LINUX[arch].upper.populate(pa, false)
        : undefined;
  const machine = buildMachine(mmu, g, setup, tableEntry, linuxTrees(setup));
  if (!hasLinux) return { machine, linux: undefined };
  // A VMA lies below TASK_SIZE: x86_64's is a page short of 2^47 (2^56), its last page never mapped.
  const userEnd = taskSize(arch, g.vaBits);
  const linux = buildLinux(
    setup,
    {
      pageShift: g.levels[g.levels.length - 1]!.shift,
      arch,
      userVa: (va) => va >= 0n && va < userEnd,
    },
    setup.memory.base + setup.memory.size,
  );
  return { machine, linux };
}

/** The ops that act on the Linux mm state (the walk, pageattr and fault families). */
const LINUX_OPS = new Set([
  ...Object.keys(walkOps(LINUX.x86_64)),
  ...Object.keys(pageattrOps(LINUX.arm64)),
  ...Object.keys(faultOps(LINUX.x86_64)),
  ...Object.keys(faultOps(LINUX.arm64)),
  ...Object.keys(dirtyOps(LINUX.x86_64)),
]);

const DIRTY_OPS = new Set(Object.keys(dirtyOps(LINUX.x86_64)));

/** Throws the first step's problem found without running it (names, scripts), located at its step. */
function checkBuilt(v: EngineVector, built: Built | undefined): void {
  v.steps.forEach((s, i) => {
    try {
      checkEntryArgs(v.arch, s.op, s.args);
      if (LINUX_OPS.has(s.op)) {
        if (!built?.linux)
          throw new VectorFormatError(
            `${s.op} needs Linux mm state: setup.mms or setup.init_mm`,
            '/args',
          );
        checkWalkArgs(built.linux, s.args as OpArgs, geometry(modeDesc(v.arch, v.mode)));
        if (s.op === 'user_access') checkUserAccess(built.linux, built.machine, s.args as OpArgs);
        if (DIRTY_OPS.has(s.op))
          checkDirtyArgs({ ...v, linux: built.linux }, s.op, s.args as OpArgs);
      }
    } catch (e) {
      throw atStep(e, i);
    }
  });
}

/** A step's problem found without running it (names, scripts), or undefined. */
export function checkSteps(v: EngineVector): VectorFormatError | undefined {
  let built: Built | undefined;
  try {
    built = v.setup ? buildSetup(v.arch, v.mode, v.setup) : undefined;
    checkBuilt(v, built);
    return undefined;
  } catch (e) {
    if (e instanceof VectorFormatError) return e;
    throw e;
  } finally {
    built?.machine.mem.release();
  }
}

/** A format error raised inside step i (its pointer relative to the step, or none) located in the vector. */
function atStep(e: unknown, i: number): unknown {
  if (e instanceof VectorFormatError && (e.pointer === '' || e.pointer.startsWith('/args')))
    return new VectorFormatError(e.message, `/steps/${i}${e.pointer}`);
  return e;
}
export type StepOutcome =
  | { readonly kind: 'value'; readonly value: OpValue }
  | { readonly kind: 'unsupported'; readonly reason: string };

function isRef(v: unknown): v is StepRef {
  return typeof v === 'object' && v !== null && 'step' in v;
}

function resolve(args: StepArgs, named: ReadonlyMap<string, OpValue>, i: number): OpArgs {
  const given = args as Readonly<Record<string, unknown>>;
  // Most steps name no earlier step: their arguments are passed as they are.
  let refs = false;
  for (const k in given) refs ||= isRef(given[k]);
  if (!refs) return args as OpArgs;
  const out: Record<string, unknown> = {};
  for (const k in given) {
    const v = given[k];
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

/**
 * Run the steps on a fresh build of the setup; with `check`, first make checkSteps' checks on that
 * build (one build serves both: a VectorFormatError is thrown before any step runs).
 */
export function runVector(v: EngineVector, check = false): StepOutcome[] {
  const built = v.setup ? buildSetup(v.arch, v.mode, v.setup) : undefined;
  try {
    if (check) checkBuilt(v, built);
    return runSteps(v, built);
  } finally {
    built?.machine.mem.release();
  }
}

function runSteps(v: EngineVector, built: Built | undefined): StepOutcome[] {
  const named = new Map<string, OpValue>();
  const ctx = {
    arch: v.arch,
    mode: v.mode,
    config: v.config,
    ...(built ? { machine: built.machine } : {}),
    ...(built?.linux ? { linux: built.linux } : {}),
  };
  const out: StepOutcome[] = [];
  let blocked: string | undefined;
  for (let i = 0; i < v.steps.length; i++) {
    const s = v.steps[i]!;
    if (blocked !== undefined) {
      out.push({ kind: 'unsupported', reason: blocked });
      continue;
    }
    try {
      const value = lookupOp(v.arch, s.op)(resolve(s.args, named, i), ctx);
      if (s.name !== undefined) named.set(s.name, value);
      out.push({ kind: 'value', value });
    } catch (e) {
      if (!(e instanceof UnsupportedError)) throw atStep(e, i);
      // Later steps may depend on this one: the rest of the vector is unsupported too.
      blocked = e.message;
      out.push({ kind: 'unsupported', reason: e.message });
    }
  }
  return out;
}
