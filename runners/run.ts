// A run: load, select, skip what the implementation does not cover, execute, judge, and build the report. Reporters render it.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toInput, type Implementation, type Json, type VectorObservation } from './adapter.ts';
import { archDescriptions } from './arch.ts';
import { judge, type Mismatch, type Verdict } from './compare.ts';
import type { ExpectFail } from './expect-fail.ts';
import { PACKAGE_ROOT } from './paths.ts';
import { select, type Selection } from './select.ts';
import {
  stepExpect,
  stepName,
  type LoadedVector,
  type LoadResult,
  type Problem,
} from './vectors/load.ts';

export interface ResultEntry {
  readonly id: string;
  readonly file: string;
  readonly family: string;
  readonly arch: string;
  readonly mode: string;
  readonly description: string;
  readonly verdict: Verdict;
  readonly reason?: string;
  readonly mismatches?: readonly Mismatch[];
  /** The steps with their expectations and observations, for verdicts other than pass and skip. */
  readonly steps?: readonly StepRecord[];
}

export interface StepRecord {
  readonly op: string;
  readonly name?: string;
  readonly args: Json;
  readonly expect?: Json;
  readonly observed?: { readonly result: Json } | { readonly unsupported: string };
}

export interface Summary {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  xfailed: number;
  xpassed: number;
  errors: number;
  problems: number;
}

export interface RunReport {
  readonly tool: { readonly name: 'ptvec'; readonly version: string };
  readonly implementation: { readonly name: string; readonly version?: string };
  readonly shard?: string;
  readonly summary: Summary;
  readonly results: readonly ResultEntry[];
  readonly problems: readonly Problem[];
}

export function toolVersion(): string {
  return (
    JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
  ).version;
}

export function summarize(results: readonly ResultEntry[], problems: number): Summary {
  const s: Summary = {
    total: results.length,
    passed: 0,
    failed: 0,
    skipped: 0,
    xfailed: 0,
    xpassed: 0,
    errors: 0,
    problems,
  };
  for (const r of results) {
    if (r.verdict === 'pass') s.passed++;
    else if (r.verdict === 'fail') s.failed++;
    else if (r.verdict === 'skip') s.skipped++;
    else if (r.verdict === 'xfail') s.xfailed++;
    else if (r.verdict === 'xpass') s.xpassed++;
    else s.errors++;
  }
  return s;
}

/** Vectors whose arch+mode has no description cannot be run; they are problems, not results. */
function runnable(vectors: readonly LoadedVector[], problems: Problem[]): LoadedVector[] {
  const known = archDescriptions();
  return vectors.filter((v) => {
    if (known.has(`${v.arch}-${v.mode}`)) return true;
    problems.push({
      file: v.file,
      pointer: `${v.pointer}`,
      message: `${v.arch} has no mode "${v.mode}" (vectors/arch/ has no ${v.arch}-${v.mode}.json)`,
    });
    return false;
  });
}

export interface RunOptions {
  readonly selection: Selection;
  readonly expectFail?: ExpectFail;
  readonly onProgress?: (done: number, total: number) => void;
}

/** A vector's steps as the report shows them for a verdict other than pass and skip. */
function stepRecords(v: LoadedVector, obs: VectorObservation): StepRecord[] {
  return v.steps.map((s, i) => {
    const name = stepName(s);
    const e = stepExpect(s);
    const o = obs.kind === 'observed' ? obs.steps[i] : undefined;
    return {
      op: s.op,
      ...(name === undefined ? {} : { name }),
      args: s.args as Json,
      ...(e === undefined ? {} : { expect: e as Json }),
      ...(o === undefined
        ? {}
        : {
            observed: o.kind === 'result' ? { result: o.result } : { unsupported: o.reason },
          }),
    };
  });
}

const identity = (v: LoadedVector) => ({
  id: v.id,
  file: v.file,
  family: v.family,
  arch: v.arch,
  mode: v.mode,
  description: v.description,
});

function entry(
  v: LoadedVector,
  obs: VectorObservation,
  choices: Readonly<Record<string, string>>,
  expectFail: ExpectFail | undefined,
): ResultEntry {
  const j0 = judge(v, obs, choices);
  const xf = expectFail?.reasons.get(v.id);
  let verdict: Verdict = j0.verdict;
  let reason = j0.reason;
  if (xf !== undefined && j0.verdict === 'fail') {
    verdict = 'xfail';
    reason = xf;
  } else if (xf !== undefined && j0.verdict === 'pass') {
    verdict = 'xpass';
    reason = `listed as an expected failure (${xf}) but passed: remove it from ${expectFail?.file ?? 'the expectations file'}`;
  }
  return {
    ...identity(v),
    verdict,
    ...(reason === undefined ? {} : { reason }),
    ...(j0.mismatches ? { mismatches: j0.mismatches } : {}),
    ...(verdict === 'pass' || verdict === 'skip' ? {} : { steps: stepRecords(v, obs) }),
  };
}

export async function execute(
  impl: Implementation,
  loaded: LoadResult,
  opts: RunOptions,
): Promise<RunReport> {
  const problems: Problem[] = [...loaded.problems];
  const chosen = runnable(select(opts.selection, loaded.vectors), problems);
  const inputs = chosen.map(toInput);
  const notCovered = inputs.map((v) => impl.notCovered?.(v));
  const toRun = inputs.filter((_, i) => notCovered[i] === undefined);
  let done = chosen.length - toRun.length;
  const total = chosen.length;
  let shown = -1;
  const progress = () => {
    done++;
    // At most ~200 updates, whatever the size of the run.
    if (opts.onProgress && (done === total || done - shown >= Math.max(1, total / 200))) {
      shown = done;
      opts.onProgress(done, total);
    }
  };
  const answers = await impl.run(toRun, progress);
  let k = 0;
  const results = chosen.map((v, i): ResultEntry => {
    const skip = notCovered[i];
    if (skip !== undefined) return { ...identity(v), verdict: 'skip', reason: skip };
    const o = answers[k++] ?? { kind: 'error' as const, reason: 'no answer for this vector' };
    return entry(v, o, impl.choices, opts.expectFail);
  });
  if (opts.expectFail) {
    const all = new Set(loaded.vectors.map((v) => v.id));
    for (const id of opts.expectFail.reasons.keys()) {
      if (!all.has(id))
        problems.push({
          file: opts.expectFail.file,
          pointer: `/${id.replace(/~/g, '~0').replace(/\//g, '~1')}`,
          message: `stale entry: no vector has the id "${id}"`,
          severity: 'warning',
        });
    }
  }
  const shard = opts.selection.shard;
  return {
    tool: { name: 'ptvec', version: toolVersion() },
    implementation:
      impl.version === undefined ? { name: impl.name } : { name: impl.name, version: impl.version },
    ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}),
    summary: summarize(results, problems.length),
    results,
    problems: sortProblems(problems),
  };
}

/** Problems in one order whatever the sharding: by file, then pointer, then message. */
export function sortProblems(ps: readonly Problem[]): Problem[] {
  return [...ps].sort((a, b) => {
    const ka = [a.file, a.pointer, a.message];
    const kb = [b.file, b.pointer, b.message];
    for (let i = 0; i < 3; i++)
      if (ka[i] !== kb[i]) return (ka[i] as string) < (kb[i] as string) ? -1 : 1;
    return 0;
  });
}

/** 0: all passed, skipped or failed as expected; 1: any fail, xpass or error; 2: input that could not be judged. */
export function exitCode(r: RunReport): number {
  const invalid = r.problems.some((p) => p.severity !== 'warning');
  if (invalid) return 2;
  const s = r.summary;
  return s.failed + s.xpassed + s.errors > 0 ? 1 : 0;
}
