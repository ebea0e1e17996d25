// A run: load, select, skip what the implementation does not cover, execute, judge, and build the report. Reporters render it.

import { toInput, type Implementation, type Json, type VectorObservation } from './adapter.ts';
import { judge, type Mismatch, type Verdict } from './compare.ts';
import type { ExpectFail } from './expect-fail.ts';
import { toolVersion } from './paths.ts';
import { select, type Selection } from './select.ts';
import {
  stepExpect,
  stepName,
  type LoadedVector,
  type LoadResult,
  type Problem,
} from './vectors/files.ts';
import { checkByRunning, checkSetups } from './load.ts';
import { shorten } from './vectors/quote.ts';
import { tierUp } from './tier-up.ts';

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
  readonly implementation: {
    readonly name: string;
    readonly version?: string;
    /** The choices it declared (Implementation.choices); absent when it declared none. */
    readonly choices?: Readonly<Record<string, string>>;
  };
  readonly shard?: string;
  /** The filters of a sharded run (merge joins only shards run with the same). */
  readonly filters?: Readonly<
    Record<'arch' | 'mode' | 'family' | 'tag' | 'grep', readonly string[]>
  >;
  /** Why the run ended early (--max-time, a signal): each vector it did not run is an error whose
   * reason is `not run: ` and this. */
  readonly stopped?: string;
  readonly summary: Summary;
  readonly results: readonly ResultEntry[];
  readonly problems: readonly Problem[];
}

export { toolVersion };

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

export interface RunOptions {
  readonly selection: Selection;
  readonly expectFail?: ExpectFail;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * What a report keeps of the values of vectors that did not pass (their steps' arguments and
 * expectations, the values implementations observed), over all its results: a run of many vectors
 * that each fail with a large value must not hold them all (the JSON report must stay writable, the
 * process within its memory). Past the limit a value is replaced by a note of its size; the vector
 * file still has the arguments and expectations.
 */
export const KEPT_VALUE_BYTES = 32 * 1024 * 1024;

/** A reason is a line: what an implementation says of a skip or an error is kept to this length. */
const MAX_REASON = 2000;

const NOT_KEPT = /^\(not kept: \d+ bytes of JSON; a report keeps at most \d+ bytes of values\)$/;

export class Retention {
  private used = 0;
  constructor(private readonly limit: number) {}
  keep(v: Json): Json {
    // A value a first pass did not keep stays its note, and counts for nothing (see `retained`).
    if (typeof v === 'string' && NOT_KEPT.test(v)) return v;
    const n = JSON.stringify(v).length;
    if (this.used + n <= this.limit || n <= 64) {
      this.used += n;
      return v;
    }
    return `(not kept: ${n} bytes of JSON; a report keeps at most ${KEPT_VALUE_BYTES} bytes of values)`;
  }
}

/**
 * The results with their values kept again by one Retention, in their order (by id). A run keeps
 * values as its answers come, which on several threads or processes (or shards, merged) is an order
 * of its own, each within the whole limit; kept again in the report's order, a report is the one a
 * single thread makes wherever no thread alone had more than the limit to keep.
 */
export function retained(results: readonly ResultEntry[]): ResultEntry[] {
  const kept = new Retention(KEPT_VALUE_BYTES);
  return results.map((r) =>
    r.mismatches === undefined && r.steps === undefined
      ? r
      : {
          ...r,
          ...(r.mismatches && {
            mismatches: r.mismatches.map((m) => ({
              ...m,
              expected: kept.keep(m.expected),
              actual: kept.keep(m.actual),
            })),
          }),
          ...(r.steps && {
            steps: r.steps.map((s) => ({
              ...s,
              args: kept.keep(s.args),
              ...(s.expect === undefined ? {} : { expect: kept.keep(s.expect) }),
              ...(s.observed !== undefined && 'result' in s.observed
                ? { observed: { result: kept.keep(s.observed.result) } }
                : {}),
            })),
          }),
        },
  );
}

/** A vector's steps as the report shows them for a verdict other than pass and skip. */
function stepRecords(v: LoadedVector, obs: VectorObservation, kept: Retention): StepRecord[] {
  return v.steps.map((s, i) => {
    const name = stepName(s);
    const e = stepExpect(s);
    const o = obs.kind === 'observed' ? obs.steps[i] : undefined;
    return {
      op: s.op,
      ...(name === undefined ? {} : { name }),
      args: kept.keep(s.args as Json),
      ...(e === undefined ? {} : { expect: kept.keep(e as Json) }),
      ...(o === undefined
        ? {}
        : {
            observed:
              o.kind === 'result'
                ? { result: kept.keep(o.result) }
                : { unsupported: shorten(o.reason, MAX_REASON) },
          }),
    };
  });
}

export const identity = (v: LoadedVector) => ({
  id: v.id,
  file: v.file,
  family: v.family,
  arch: v.arch,
  mode: v.mode,
  description: v.description,
});

/** A vector's result entry: its observation judged, expected failures applied. */
export function entry(
  v: LoadedVector,
  obs: VectorObservation,
  impl: Implementation,
  expectFail: ExpectFail | undefined,
  kept: Retention,
): ResultEntry {
  tierUp();
  const j0 = judge(v, obs, impl.choices, impl.unobserved?.(toInput(v)));
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
  const mismatches = j0.mismatches?.map((m) => ({
    ...m,
    expected: kept.keep(m.expected),
    actual: kept.keep(m.actual),
  }));
  return {
    ...identity(v),
    verdict,
    ...(reason === undefined ? {} : { reason: shorten(reason, MAX_REASON) }),
    ...(mismatches ? { mismatches } : {}),
    ...(verdict === 'pass' || verdict === 'skip' ? {} : { steps: stepRecords(v, obs, kept) }),
  };
}

export async function execute(
  impl: Implementation,
  loaded: LoadResult,
  opts: RunOptions,
): Promise<RunReport> {
  const problems: Problem[] = [...loaded.problems];
  const results = await runVectors(
    impl,
    loaded.vectors,
    loaded.setupsByRun === true,
    opts,
    problems,
  );
  return report(impl, loaded.vectors, results, problems, opts);
}

/**
 * The result entries of the vectors `opts.selection` takes from `vectors` on `impl`, in their order;
 * the problems the check by running finds go into `problems`. `setupsByRun`: the loader left the
 * setups to this check (LoadResult.setupsByRun).
 */
export async function runVectors(
  impl: Implementation,
  vectors: readonly LoadedVector[],
  setupsByRun: boolean,
  opts: RunOptions,
  problems: Problem[],
  kept = new Retention(KEPT_VALUE_BYTES),
): Promise<ResultEntry[]> {
  const selected = select(opts.selection, vectors);
  // Setups the loader left to the run are checked for the vectors the run leaves out too.
  if (setupsByRun) {
    const taken = new Set(selected);
    checkSetups(
      vectors.filter((v) => !taken.has(v)),
      problems,
    );
  }
  const chosen = checkByRunning(selected, problems);
  const inputs = chosen.map(toInput);
  const results: (ResultEntry | undefined)[] = chosen.map((v, i) => {
    const skip = impl.notCovered?.(inputs[i]!);
    return skip === undefined ? undefined : { ...identity(v), verdict: 'skip', reason: skip };
  });
  const index = results.flatMap((r, i) => (r === undefined ? [i] : []));
  const total = chosen.length;
  let done = total - index.length;
  let shown = -1;
  // Each answer is judged as it arrives and only its result entry is kept.
  let strays = 0;
  let stray = '';
  let none: VectorObservation = { kind: 'error', reason: 'no answer for this vector' };
  let judging: { error: unknown } | undefined;
  try {
    await impl.run(
      index.map((i) => inputs[i]!),
      (k, o) => {
        const i = Number.isInteger(k) ? index[k] : undefined;
        if (i === undefined) {
          if (strays++ === 0) stray = String(k);
          return;
        }
        // A later observation replaces an earlier one (a vector found answered twice is an error).
        if (results[i] === undefined) done++;
        try {
          results[i] = entry(chosen[i]!, o, impl, opts.expectFail, kept);
        } catch (e) {
          judging ??= { error: e };
          throw e;
        }
        // At most ~200 updates, whatever the size of the run.
        if (opts.onProgress && (done === total || done - shown >= Math.max(1, total / 200))) {
          shown = done;
          opts.onProgress(done, total);
        }
      },
    );
  } catch (e) {
    // ptvec's own failure is not blamed on the implementation.
    if (judging !== undefined && e === judging.error) throw e;
    // The implementation's own failure costs the vectors it did not answer, not the report.
    const why = e instanceof Error ? e.message : String(e);
    none = { kind: 'error', reason: `not answered: the implementation's run failed: ${why}` };
  }
  if (strays > 0)
    problems.push({
      file: `implementation ${impl.name}`,
      pointer: '',
      message: `answered an index it was not given, ${stray}${strays > 1 ? ` (and ${strays - 1} more)` : ''}: ${index.length ? `the indices are 0 to ${index.length - 1}` : 'it was given no vector'}`,
      severity: 'warning',
    });
  return results.map((r, i) => r ?? entry(chosen[i]!, none, impl, opts.expectFail, kept));
}

/**
 * The report of a run: its results, the implementation's incidents, stale expected failures (ids no
 * vector of `vectors`, the loaded ones, has), and the problems.
 */
export function report(
  impl: Implementation,
  vectors: readonly Pick<LoadedVector, 'id'>[],
  all: readonly ResultEntry[],
  found: readonly Problem[],
  opts: RunOptions,
): RunReport {
  const problems = [...found];
  // What the implementation did that is no vector's fault (a line while idle): reported, not judged.
  for (const message of impl.incidents?.() ?? [])
    problems.push({
      file: `implementation ${impl.name}`,
      pointer: '',
      message,
      severity: 'warning',
    });
  if (opts.expectFail) {
    const ids = new Set(vectors.map((v) => v.id));
    for (const id of opts.expectFail.reasons.keys()) {
      if (!ids.has(id))
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
    implementation: {
      name: impl.name,
      ...(impl.version === undefined ? {} : { version: impl.version }),
      ...(Object.keys(impl.choices).length ? { choices: { ...impl.choices } } : {}),
    },
    ...(shard
      ? { shard: `${shard.index}/${shard.count}`, filters: filtersOf(opts.selection) }
      : {}),
    summary: summarize(all, problems.length),
    results: retained(all),
    problems: sortProblems(problems),
  };
}

function filtersOf(s: Selection): NonNullable<RunReport['filters']> {
  return {
    arch: [...s.arch],
    mode: [...s.mode],
    family: [...s.family],
    tag: [...s.tag],
    grep: s.grep.map((r) => r.source),
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
