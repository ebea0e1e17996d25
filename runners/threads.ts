// `ptvec run` on the reference engine over several threads: each thread reads, checks, runs and
// judges whole files, taken one at a time from a shared counter, so that a slow file does not hold
// the others up; the one check across files (unique ids) is made on the main thread once all are
// loaded, and a file with an id found elsewhere is run again without it. The report is the one a single thread makes: the same results in the same order, the
// same problems (a report sorts them), the same values of failing vectors kept wherever no thread
// alone has more than the report keeps (run.ts `retained`).

import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { referenceImplementation } from './adapters/reference.ts';
import { archProblems } from './arch.ts';
import { REFERENCE_MODEL } from './load.ts';
import {
  KEPT_VALUE_BYTES,
  report,
  Retention,
  runVectors,
  type ResultEntry,
  type RunOptions,
  type RunReport,
} from './run.ts';
import { selects, type Selection } from './select.ts';
import { tierUp } from './tier-up.ts';
import type { ExpectFail } from './expect-fail.ts';
import {
  findVectorFiles,
  loadFile,
  type LoadedFile,
  type LoadedVector,
  type Problem,
} from './vectors/files.ts';
import { checkIds } from './vectors/ids.ts';
import { checkLoaded } from './vectors/load.ts';

/** What the main thread gives each worker. */
export interface ShareData {
  readonly files: readonly string[];
  /** Each file's size in KiB (0 if it cannot be read), for the progress line. */
  readonly kib: readonly number[];
  /** Int32 counters shared by the threads: [0] the next file to take, [1] the vectors judged, [2]
   * the vectors selected in the files loaded so far, [3] the KiB of those files. */
  readonly counters: SharedArrayBuffer;
  readonly selection: Selection;
  readonly expectFail?: ExpectFail;
}

/**
 * The vector files a thread is worth. A thread loads the engine's modules again, which a small run
 * does not win back: measured on 2 cores, a second thread saved 0.6 s on the whole corpus (42 MB),
 * 0.15 s on 20 MB, nothing on the fault family (12 MB), and cost 0.2 s on the layout family.
 */
export const BYTES_PER_THREAD = 16 * 1024 * 1024;

/** A file's size, or 0 if it cannot be read (the run reports it). */
function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * The threads of a reference run without `--jobs`: one for each BYTES_PER_THREAD of the vector
 * files under `paths`, at least one, at most one per core.
 */
export function defaultThreads(paths: readonly string[]): number {
  let bytes = 0;
  for (const f of findVectorFiles(paths, [])) bytes += sizeOf(f);
  return Math.max(1, Math.min(Math.floor(bytes / BYTES_PER_THREAD), availableParallelism()));
}

/** A vector as the check of ids sees it: where it is, by file index and vector index. */
export interface IdRecord {
  readonly id: string;
  readonly file: string;
  readonly pointer: string;
  readonly at: readonly [number, number];
  /** Whether the selection takes it (for the progress line's total). */
  readonly selected: boolean;
}

/** A thread's part of the run. */
export interface SharePart {
  readonly results: readonly ResultEntry[];
  readonly ids: readonly string[];
  readonly problems: readonly Problem[];
}

/** A file's part of a thread's share: its checks' problems, its results, the ids it loaded. */
interface FilePart {
  readonly problems: readonly Problem[];
  readonly results: readonly ResultEntry[];
  readonly ids: readonly string[];
}

/**
 * One thread's share: load the files it takes and run each as soon as it is loaded, as if every id
 * were unique; hand their ids to `exchange` (which answers the positions of the vectors whose id is
 * not unique), then run again, without those, the rare file that has one. Running as they load keeps
 * the threads busy to the end: a thread that started late has loaded less and also runs less.
 */
export async function share(
  d: ShareData,
  exchange: (ids: IdRecord[]) => Promise<ReadonlySet<string>>,
  judged: () => void = () => undefined,
): Promise<SharePart> {
  const counter = new Int32Array(d.counters);
  const impl = referenceImplementation();
  const opts: RunOptions = {
    selection: d.selection,
    ...(d.expectFail ? { expectFail: d.expectFail } : {}),
  };
  // The thread's values within the whole limit: the report keeps them again in its order (run.ts).
  const kept = new Retention(KEPT_VALUE_BYTES);
  const runFile = async (f: LoadedFile, unique: ReadonlySet<LoadedVector>): Promise<FilePart> => {
    const problems: Problem[] = [];
    const vectors = checkLoaded(REFERENCE_MODEL, [f], unique, problems, true);
    const results = await runVectors(impl, vectors, true, opts, problems, kept);
    Atomics.add(counter, 1, results.length);
    judged();
    return { problems, results, ids: vectors.map((v) => v.id) };
  };
  const problems: Problem[] = [];
  const mine: { readonly at: number; readonly file: LoadedFile; readonly part: FilePart }[] = [];
  for (let i = Atomics.add(counter, 0, 1); i < d.files.length; i = Atomics.add(counter, 0, 1)) {
    tierUp();
    const file = loadFile(d.files[i]!, problems);
    if (!file) continue;
    Atomics.add(counter, 2, file.vectors.filter((v) => selects(d.selection, v)).length);
    Atomics.add(counter, 3, d.kib[i] ?? 0);
    mine.push({ at: i, file, part: await runFile(file, new Set(file.vectors)) });
  }
  const ids = mine.flatMap(({ at, file }) =>
    file.vectors.map((v, k) => ({
      id: v.id,
      file: v.file,
      pointer: v.pointer,
      at: [at, k] as const,
      selected: selects(d.selection, v),
    })),
  );
  const duplicate = await exchange(ids);
  const results: ResultEntry[] = [];
  const loadedIds: string[] = [];
  for (const { at, file, part } of mine) {
    const unique = file.vectors.filter((_, k) => !duplicate.has(`${at}:${k}`));
    const p = unique.length === file.vectors.length ? part : await runFile(file, new Set(unique));
    for (const x of p.problems) problems.push(x);
    for (const x of p.results) results.push(x);
    for (const x of p.ids) loadedIds.push(x);
  }
  return { results, ids: loadedIds, problems };
}

type FromWorker =
  | { readonly kind: 'ids'; readonly ids: IdRecord[] }
  | { readonly kind: 'part'; readonly part: SharePart }
  | { readonly kind: 'failed'; readonly message: string };

/** The worker's module; under the TypeScript sources (tests), the .ts file with tsx registered first. */
function workerUrl(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./threads-worker.js', import.meta.url);
  const tsx = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const worker = new URL('./threads-worker.ts', import.meta.url).href;
  return new URL(
    `data:text/javascript,import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(worker)});`,
  );
}

/** A worker's share, through messages: its ids, then (after `duplicates` resolves) its part. */
function workerShare(
  d: ShareData,
  ids: (records: IdRecord[]) => void,
  duplicates: Promise<ReadonlySet<string>>,
  started: Worker[],
): Promise<SharePart> {
  return new Promise((resolve, reject) => {
    const w = new Worker(workerUrl(), { workerData: d });
    started.push(w);
    w.on('message', (m: FromWorker) => {
      if (m.kind === 'ids') {
        ids(m.ids);
        void duplicates.then((set) => w.postMessage([...set]));
      } else if (m.kind === 'part') resolve(m.part);
      else reject(new Error(m.message));
    });
    w.on('error', reject);
    w.on('exit', (code) => reject(new Error(`a run thread exited (${code}) before its part`)));
  });
}

/** The run of the reference engine over `threads` threads (this one included). */
export async function executeInThreads(
  paths: readonly string[],
  opts: RunOptions,
  threads: number,
): Promise<RunReport> {
  const problems: Problem[] = [...archProblems()];
  const files = findVectorFiles(paths, problems);
  const kib = files.map((f) => Math.ceil(sizeOf(f) / 1024));
  const d: ShareData = {
    files,
    kib,
    counters: new SharedArrayBuffer(16),
    selection: opts.selection,
    ...(opts.expectFail ? { expectFail: opts.expectFail } : {}),
  };
  // The ids of every thread, then the positions of the vectors whose id is not unique, for all.
  const records: IdRecord[][] = [];
  // The progress line: vectors judged by all threads, of those selected with a unique id once the
  // ids are checked. Until then the threads run files as they load them, and the total is the
  // vectors selected in the files loaded so far, scaled up by the bytes still to load (never
  // "done" then).
  let total = 0;
  const allKib = kib.reduce((a, b) => a + b, 0);
  const counters = new Int32Array(d.counters);
  const progress = () => {
    const loaded = Atomics.load(counters, 2);
    const loadedKib = Atomics.load(counters, 3);
    const t =
      total || (loadedKib > 0 ? Math.max(loaded, Math.round((loaded * allKib) / loadedKib)) : 0);
    const done = Math.min(Atomics.load(counters, 1), t);
    if (t > 0 && (total > 0 || done < t)) opts.onProgress?.(done, t);
  };
  let answer!: (s: ReadonlySet<string>) => void;
  const duplicates = new Promise<ReadonlySet<string>>((r) => (answer = r));
  const arrived = (r: IdRecord[]) => {
    records.push(r);
    if (records.length < threads) return;
    const all = records.flat().sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1]);
    const unique = new Set(checkIds(all, paths, files, problems));
    total = all.filter((r) => r.selected && unique.has(r)).length;
    answer(new Set(all.filter((r) => !unique.has(r)).map((r) => `${r.at[0]}:${r.at[1]}`)));
  };
  const ticker = opts.onProgress ? setInterval(progress, 100) : undefined;
  // A thread that failed leaves the others waiting for its ids: every worker ends with the run.
  const workers: Worker[] = [];
  const parts = await Promise.all([
    ...Array.from({ length: threads - 1 }, () => workerShare(d, arrived, duplicates, workers)),
    share(
      d,
      (ids) => {
        arrived(ids);
        return duplicates;
      },
      progress,
    ),
  ]).finally(() => {
    clearInterval(ticker);
    for (const w of workers) void w.terminate();
  });
  if (!files.length && !problems.length)
    problems.push({ file: paths.join(' '), pointer: '', message: 'no vector files (*.json) here' });
  // In select's order: by id.
  const results = parts
    .flatMap((p) => p.results)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  opts.onProgress?.(results.length, results.length);
  for (const p of parts) for (const x of p.problems) problems.push(x);
  const ids = parts.flatMap((p) => p.ids.map((id) => ({ id })));
  return report(referenceImplementation(), ids, results, problems, opts);
}
