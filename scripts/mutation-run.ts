// Mutation testing of the engine by the vectors alone: `npm run mutation [-- PATH...] [--write]`
// (default src/arch, src/machine, src/mm). Two kinds of mutant, each in its own pass over a sandbox
// copy of the package: Stryker's (every mutator of its instrumenter, scripts/mutation-stryker.ts)
// and the project's own for what Stryker has none for: bitwise operators, `~` and numeric literals
// (scripts/mutation-bits-instrument.ts). Both are mutant schemata: all mutants compiled in, one
// switched on at a time. One worker records which vectors reach each mutant; workers then run each
// mutant against those vectors, in-process, stopping at the first that fails. A mutant the import
// evaluates, or that only the engine's first run reaches (a table built once), is static: it gets a
// fresh worker and every vector, after every kind's other mutants. A mutant slower than ten times
// its vectors' unmutated run is a timeout, counted as detected as Stryker counts it; a worker that
// goes silent longer than a vector may take is dropped. The corpus is loaded once, by the unmutated
// engine. `npm run mutation:vitest` runs Stryker's own CLI and vitest
// runner instead (slower; the same mutants, to check this runner against). `--from REPORT...`
// renders saved reports (reports/mutation/mutation.json is saved every minute of a run).

import {
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PACKAGE_ROOT } from '../runners/paths.ts';
import { instrument, type Mutant } from './mutation-bits-instrument.ts';
import { RUN_CORPUS_DIR as CORPUS_DIR, writeCorpus } from './mutation-corpus.ts';
import {
  classify,
  isEquivalent,
  loadEquivalents,
  renderTable,
  type Report,
} from './mutation-report.ts';
import { instrumentStryker } from './mutation-stryker.ts';
import type { WorkerMessage, WorkerTask } from './mutation-worker.ts';

const SANDBOXES = join(PACKAGE_ROOT, '.mutation-tmp');
const WORKER = pathToFileURL(join(PACKAGE_ROOT, 'scripts/mutation-worker.ts')).href;
// The worker runs TypeScript: it registers tsx first (a worker does not inherit the loader).
const BOOT = new URL(
  `data:text/javascript,import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(WORKER)});`,
);
const EQUIVALENTS = join(PACKAGE_ROOT, 'mutation/equivalent');
const SILENCE_MS = 30_000;
const WORKERS = 2;
const BATCH = 50;

type Status = 'Killed' | 'Survived' | 'NoCoverage' | 'Timeout';

function sourcesUnder(p: string): string[] {
  const abs = join(PACKAGE_ROOT, p);
  if (statSync(abs).isFile()) return [p];
  return readdirSync(abs, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourcesUnder(join(p, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.generated.ts')
        ? [join(p, e.name)]
        : [],
  );
}

function makeSandbox(sandbox: string, texts: ReadonlyMap<string, string>): void {
  rmSync(sandbox, { recursive: true, force: true });
  mkdirSync(sandbox, { recursive: true });
  for (const d of ['src', 'runners', 'schemas', 'vectors/arch', 'package.json'])
    cpSync(join(PACKAGE_ROOT, d), join(sandbox, d), { recursive: true });
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(sandbox, 'node_modules'));
  for (const [f, text] of texts) writeFileSync(join(sandbox, f), text);
}

/**
 * Runs a worker; `onMessage` sees each message; resolves when it exits, or stops it after a silence
 * longer than `silence()` (asked after each message: the running mutant's time limit).
 */
function runWorker(
  task: WorkerTask,
  onMessage: (m: WorkerMessage) => void,
  silence: () => number = () => SILENCE_MS,
): Promise<'done' | 'silent' | 'failed'> {
  return new Promise((resolve) => {
    const w = new Worker(BOOT, { workerData: task });
    // Resolved at once: a worker in a loop may take long to stop.
    const silent = () => {
      void w.terminate();
      resolve('silent');
    };
    let timer = setTimeout(silent, SILENCE_MS);
    w.on('message', (m: WorkerMessage) => {
      clearTimeout(timer);
      onMessage(m);
      timer = setTimeout(silent, silence());
    });
    w.on('error', () => {
      clearTimeout(timer);
      resolve('failed');
    });
    w.on('exit', () => {
      clearTimeout(timer);
      resolve('done');
    });
  });
}

/**
 * One kind of mutant: its sandbox with these instrumented texts, coverage, then the mutants the
 * vectors reach; returns the run of the static ones (a fresh worker each, the slow part), for
 * after every kind's other mutants.
 */
async function pass(
  name: string,
  texts: ReadonlyMap<string, string>,
  mutants: readonly Mutant[],
  status: Map<string, Status>,
  listed: (m: Mutant) => boolean,
): Promise<() => Promise<void>> {
  const sandbox = join(SANDBOXES, name);
  makeSandbox(sandbox, texts);
  const reach = new Map<string, number[]>();
  let statics: string[] = [];
  let first: readonly string[] = [];
  const ms: number[] = [];
  const failed: string[] = [];
  const r = await runWorker({ kind: 'coverage', sandbox: sandbox, corpus: CORPUS_DIR }, (m) => {
    if (m.kind === 'static') statics = [...m.keys];
    else if (m.kind === 'first') first = m.keys;
    else if (m.kind === 'covered') {
      ms[m.vector] = m.ms;
      for (const k of m.keys) {
        const at = reach.get(k);
        if (at) at.push(m.vector);
        else reach.set(k, [m.vector]);
      }
    } else if (m.kind === 'baseline') failed.push(...m.failed);
  });
  if (r !== 'done' || failed.length)
    throw new Error(`${name}: the instrumented engine fails ${failed.slice(0, 5).join(', ') || r}`);
  // Reached by the first run only: built once and kept (a table, a cache), so static too.
  statics.push(...first.filter((k) => !reach.has(k)));
  const isStatic = new Set(statics);
  // Ten times the unmutated run of its vectors (with coverage counting) and a second: slower than
  // that is a timeout, detected as Stryker counts it (a mutant that loops is not a passing engine).
  const limitOf = (key: string) =>
    1000 + 10 * reach.get(key)!.reduce((t, i) => t + (ms[i] ?? 0), 0);
  const tickOf = (key: string) =>
    1000 + 10 * reach.get(key)!.reduce((t, i) => Math.max(t, ms[i] ?? 0), 0);
  for (const m of mutants)
    if (!isStatic.has(m.key) && !reach.has(m.key)) status.set(m.key, 'NoCoverage');
  const dynamic = mutants.map((m) => m.key).filter((k) => !isStatic.has(k) && reach.has(k));
  console.log(
    `${name}: ${mutants.length} mutants, ${statics.length} static, ${dynamic.length} reached by vectors`,
  );
  const progress = () => process.stdout.write(`\r${name}: ${status.size} done `);

  const queue = [...dynamic];
  const drain = async (): Promise<void> => {
    while (queue.length) {
      const batch = queue.splice(0, BATCH);
      let current: string | undefined;
      const limits = new Map(batch.map((key) => [key, limitOf(key)]));
      const ticks = new Map(batch.map((key) => [key, tickOf(key)]));
      const r = await runWorker(
        {
          kind: 'mutants',
          sandbox: sandbox,
          corpus: CORPUS_DIR,
          mutants: batch.map((key) => ({
            key,
            vectors: reach.get(key)!,
            limitMs: limits.get(key)!,
          })),
        },
        (m) => {
          if (m.kind === 'start') {
            current = m.key;
            if (process.env.PTVEC_MUTATION_TRACE) process.stderr.write(`start ${m.key}\n`);
          } else if (m.kind === 'result') {
            status.set(m.key, m.status);
            current = undefined;
            progress();
          }
        },
        // One vector of the running mutant may take ten times its slowest unmutated run and a
        // second; between mutants, the warm-up may take SILENCE_MS.
        () => (current === undefined ? SILENCE_MS : ticks.get(current)!),
      );
      if (r !== 'done' && current !== undefined)
        status.set(current, r === 'silent' ? 'Timeout' : 'Killed');
      queue.unshift(...batch.filter((k) => !status.has(k)));
    }
  };
  await Promise.all([...Array(WORKERS)].map(() => drain()));
  console.log();
  // A survivor that mutation/equivalent/ does not list runs again in a fresh worker, switched on
  // before the first run: a mutant that acts only on a miss of a cache (the geometries, a mode's
  // level chain) survives a worker whose earlier runs filled that cache.
  const byKey = new Map(mutants.map((m) => [m.key, m]));
  const confirm = dynamic.filter((k) => status.get(k) === 'Survived' && !listed(byKey.get(k)!));
  for (const k of confirm) status.delete(k);
  const staticQueue = [...statics, ...confirm];
  const drainStatic = async (): Promise<void> => {
    for (let key = staticQueue.shift(); key !== undefined; key = staticQueue.shift()) {
      const r = await runWorker(
        {
          kind: 'mutants',
          sandbox: sandbox,
          corpus: CORPUS_DIR,
          preActive: key,
          mutants: [{ key }],
        },
        (m) => {
          if (m.kind === 'result') status.set(m.key, m.status);
        },
      );
      // A mutant that breaks the import (the worker fails) is caught by every vector.
      if (!status.has(key)) status.set(key, r === 'silent' ? 'Timeout' : 'Killed');
      progress();
    }
  };
  return async () => {
    await Promise.all([...Array(WORKERS)].map(() => drainStatic()));
    console.log();
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = argv.filter((a) => !a.startsWith('--'));
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (argv.includes('--from')) {
    // --from REPORT...: the table of saved reports (a run stopped early saves what it measured).
    const reports = args.map((p) => JSON.parse(readFileSync(p, 'utf8')) as Report);
    const merged: Report = { files: Object.assign({}, ...reports.map((r) => r.files)) };
    const table = renderTable(classify(merged, EQUIVALENTS), 'saved reports');
    console.log(table);
    if (argv.includes('--write')) writeFileSync(join(PACKAGE_ROOT, 'docs/mutation.md'), table);
    return;
  }
  const files = (args.length ? args : ['src/arch', 'src/machine', 'src/mm']).flatMap(sourcesUnder);
  const started = Date.now();
  console.log(`corpus: ${writeCorpus(CORPUS_DIR)} vectors; ${files.length} files`);
  const sources = new Map(files.map((f) => [f, readFileSync(join(PACKAGE_ROOT, f), 'utf8')]));
  const status = new Map<string, Status>();
  const mutants: Mutant[] = [];
  // The report so far (the mutants with a result), saved every minute: a long run stopped early
  // still leaves what it measured.
  const save = (): Report => {
    const report: Report = {
      files: Object.fromEntries(
        files.map((f) => [
          f,
          {
            source: sources.get(f)!,
            mutants: mutants
              .filter((m) => m.file === f && status.has(m.key))
              .map((m) => ({
                id: m.key,
                mutatorName: m.mutator,
                replacement: m.replacement,
                location: { start: m.start, end: m.end },
                status: status.get(m.key)!,
              })),
          },
        ]),
      ),
    };
    mkdirSync(join(PACKAGE_ROOT, 'reports/mutation'), { recursive: true });
    writeFileSync(join(PACKAGE_ROOT, 'reports/mutation/mutation.json'), JSON.stringify(report));
    return report;
  };
  const saving = setInterval(save, 60_000);
  const equivalents = loadEquivalents(EQUIVALENTS);
  const listed = (m: Mutant) =>
    isEquivalent(equivalents, m.file, sources.get(m.file)!, {
      mutatorName: m.mutator,
      replacement: m.replacement,
      location: { start: m.start, end: m.end },
    });
  const statics: (() => Promise<void>)[] = [];
  if (only !== 'bits') {
    const s = await instrumentStryker(sources);
    mutants.push(...s.mutants);
    statics.push(await pass('stryker', s.texts, s.mutants, status, listed));
  }
  if (only !== 'stryker') {
    const texts = new Map<string, string>();
    const bits: Mutant[] = [];
    for (const [f, src] of sources) {
      const r = instrument(f, src, bits.length);
      texts.set(f, r.text);
      bits.push(...r.mutants);
    }
    mutants.push(...bits);
    statics.push(await pass('bits', texts, bits, status, listed));
  }
  for (const run of statics) await run();
  clearInterval(saving);
  rmSync(SANDBOXES, { recursive: true, force: true });
  const report = save();
  const rows = classify(report, EQUIVALENTS);
  const minutes = ((Date.now() - started) / 60_000).toFixed(0);
  const table = renderTable(rows, `${minutes} min on this 2-core machine`);
  console.log(table);
  if (argv.includes('--write')) writeFileSync(join(PACKAGE_ROOT, 'docs/mutation.md'), table);
}

await main();
