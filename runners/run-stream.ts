// A streaming run: files are loaded, checked and handed to the implementation one at a time, so that
// the first verdicts come while later files still load. The report is the one a run of the loaded
// vectors gives (runners/run.ts execute): the same checks per vector, ids checked across the files
// at the end, results in id order.

import {
  toInput,
  type Implementation,
  type VectorInput,
  type VectorObservation,
  type VectorStream,
} from './adapter.ts';
import { archProblems } from './arch.ts';
import { checkByRunning, checkSetups, REFERENCE_MODEL } from './load.ts';
import {
  entry,
  identity,
  KEPT_VALUE_BYTES,
  report,
  Retention,
  type ResultEntry,
  type RunOptions,
  type RunReport,
} from './run.ts';
import { selects } from './select.ts';
import { findVectorFiles, loadFile, type LoadedVector, type Problem } from './vectors/files.ts';
import { checkIds } from './vectors/ids.ts';
import { checkStepRefs } from './vectors/load.ts';
import { checkFile } from './vectors/semantics.ts';
import { tierUp } from './tier-up.ts';

/** The implementation's stream, or its `run` over everything added, called at the end. */
function streamOf(
  impl: Implementation,
  answered: (i: number, o: VectorObservation) => void,
): VectorStream {
  if (impl.stream) return impl.stream(answered);
  const all: VectorInput[] = [];
  return {
    add: (vs) => {
      for (const v of vs) all.push(v);
    },
    end: () => impl.run(all, answered),
  };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** The longest the loading holds the event loop between two turns, about. */
const TURN_MS = 4;

/**
 * The report of the vectors `opts.selection` takes from the files under `paths`, run on the
 * implementation `started` resolves to, which is given vectors as soon as both it and they are
 * ready. The caller closes the implementation.
 */
export async function executeStreaming(
  started: Implementation | Promise<Implementation>,
  paths: readonly string[],
  opts: RunOptions,
): Promise<RunReport> {
  const problems: Problem[] = [...archProblems()];
  const found = findVectorFiles(paths, problems);
  /** Every vector of every file read, for the id check at the end. */
  const all: LoadedVector[] = [];
  const seen = new Set<string>();
  /** Vectors that passed the loader's checks (the ids an expected failure may name). */
  const loaded: LoadedVector[] = [];
  /** The problems of each vector's own checks: dropped with it if its id turns out not unique. */
  const own = new Map<LoadedVector, Problem[]>();
  const pending: LoadedVector[] = [];
  const sent: LoadedVector[] = [];
  const results: (ResultEntry | undefined)[] = [];
  const skipped: [LoadedVector, ResultEntry][] = [];
  const kept = new Retention(KEPT_VALUE_BYTES);
  let impl: Implementation | undefined;
  let stream: VectorStream | undefined;
  let loading = true;
  let done = 0;
  let shown = -1;
  let turn = performance.now();

  const progress = () => {
    const total = sent.length + skipped.length;
    const last = !loading && done === total;
    // At most ~200 updates for the vectors known so far; "all done" only once all are known.
    if (opts.onProgress && (last || (done < total && done - shown >= Math.max(1, total / 200)))) {
      shown = done;
      opts.onProgress(done, total);
    }
  };
  const answered = (k: number, o: VectorObservation) => {
    const v = sent[k];
    if (v === undefined || impl === undefined) return;
    // A later observation replaces an earlier one (a vector found answered twice is an error).
    if (results[k] === undefined) done++;
    results[k] = entry(v, o, impl, opts.expectFail, kept);
    progress();
  };
  const flush = () => {
    if (impl === undefined || pending.length === 0) return;
    stream ??= streamOf(impl, answered);
    const batch: VectorInput[] = [];
    for (const v of pending) {
      const input = toInput(v);
      const skip = impl.notCovered?.(input);
      if (skip !== undefined) {
        skipped.push([v, { ...identity(v), verdict: 'skip', reason: skip }]);
        done++;
      } else {
        batch.push(input);
        sent.push(v);
      }
    }
    pending.length = 0;
    if (batch.length) stream.add(batch);
  };
  // A failure to start is thrown where the run awaits it, after the loading.
  if (!(started instanceof Promise)) impl = started;
  else
    void started.then(
      (i) => {
        impl = i;
      },
      () => undefined,
    );

  for (const path of found) {
    tierUp();
    const lf = loadFile(path, problems);
    if (lf) {
      for (const v of lf.vectors) all.push(v);
      const valid = new Set(checkFile(REFERENCE_MODEL, lf, problems));
      for (const v of lf.vectors) {
        // A second vector with an id is left out at the end, and so is the first; only the first runs.
        const again = seen.has(v.id);
        seen.add(v.id);
        if (again || !valid.has(v)) continue;
        const mine: Problem[] = [];
        const p = checkStepRefs(v);
        if (p) mine.push(p);
        else {
          loaded.push(v);
          if (!selects(opts.selection, v)) checkSetups([v], mine);
          else if (checkByRunning([v], mine).length) pending.push(v);
        }
        if (mine.length) own.set(v, mine);
        // The first vector goes as soon as it is checked; then at least every few ms, the answers
        // that arrived are judged and the workers take the new vectors.
        if (pending.length && (stream === undefined || performance.now() - turn > TURN_MS)) {
          flush();
          await nextTurn();
          turn = performance.now();
        }
      }
    }
    flush();
    await nextTurn();
    turn = performance.now();
  }
  if (!found.length && !problems.length)
    problems.push({ file: paths.join(' '), pointer: '', message: 'no vector files (*.json) here' });
  const unique = new Set(checkIds(all, paths, found, problems));
  const ready = await started;
  impl = ready;
  flush();
  loading = false;
  await (stream ?? streamOf(ready, answered)).end();
  progress();

  for (const [v, ps] of own) if (unique.has(v)) for (const p of ps) problems.push(p);
  const none: VectorObservation = { kind: 'error', reason: 'no answer for this vector' };
  const entries: ResultEntry[] = [
    ...skipped.filter(([v]) => unique.has(v)).map(([, r]) => r),
    ...sent.flatMap((v, k) =>
      unique.has(v) ? [results[k] ?? entry(v, none, ready, opts.expectFail, kept)] : [],
    ),
  ].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return report(
    ready,
    loaded.filter((v) => unique.has(v)),
    entries,
    problems,
    opts,
  );
}
