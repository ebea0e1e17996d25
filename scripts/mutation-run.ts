// Mutation testing of the engine by the vectors alone: `npm run mutation [-- PATH...] [--write]`
// (default src/arch, src/machine, src/mm). Two kinds of mutant, each in its own pass over a sandbox
// copy of the package: Stryker's (every mutator of its instrumenter, scripts/mutation-stryker.ts)
// and the project's own for what Stryker has none for: bitwise operators, `~` and numeric literals
// (scripts/mutation-bits-instrument.ts). Both are mutant schemata: all mutants compiled in, one
// switched on at a time. One worker records which vectors reach each mutant; workers then run each
// mutant against those vectors, in-process, stopping at the first that fails. A mutant the import
// evaluates (static) gets a fresh worker and every vector. A worker silent for 30 s is stopped and
// its mutant counted as a timeout (the run did not end, which a vector would catch). The corpus is
// loaded once, by the unmutated engine. `npm run mutation:vitest` runs Stryker's own CLI and vitest
// runner instead (slower; the same mutants, to check this runner against).

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
import { CORPUS_DIR, writeCorpus } from './mutation-corpus.ts';
import { classify, renderTable, type Report } from './mutation-report.ts';
import { instrumentStryker } from './mutation-stryker.ts';
import type { WorkerMessage, WorkerTask } from './mutation-worker.ts';

const SANDBOX = join(PACKAGE_ROOT, '.mutation-tmp');
const WORKER = pathToFileURL(join(PACKAGE_ROOT, 'scripts/mutation-worker.ts')).href;
// The worker runs TypeScript: it registers tsx first (a worker does not inherit the loader).
const BOOT = new URL(
  `data:text/javascript,import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(WORKER)});`,
);
const SILENCE_MS = 30_000;
const WORKERS = 2;
const BATCH = 200;

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

function makeSandbox(texts: ReadonlyMap<string, string>): void {
  rmSync(SANDBOX, { recursive: true, force: true });
  mkdirSync(SANDBOX);
  for (const d of ['src', 'runners', 'schemas', 'vectors/arch', 'package.json'])
    cpSync(join(PACKAGE_ROOT, d), join(SANDBOX, d), { recursive: true });
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(SANDBOX, 'node_modules'));
  for (const [f, text] of texts) writeFileSync(join(SANDBOX, f), text);
}

/** Runs a worker; `onMessage` sees each message; resolves when it exits, or stops it after a silence. */
function runWorker(
  task: WorkerTask,
  onMessage: (m: WorkerMessage) => void,
): Promise<'done' | 'silent' | 'failed'> {
  return new Promise((resolve) => {
    const w = new Worker(BOOT, { workerData: task });
    const silent = () => void w.terminate().then(() => resolve('silent'));
    let timer = setTimeout(silent, SILENCE_MS);
    w.on('message', (m: WorkerMessage) => {
      clearTimeout(timer);
      timer = setTimeout(silent, SILENCE_MS);
      onMessage(m);
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

/** One pass: the sandbox with these instrumented texts, coverage, then every mutant. */
async function pass(
  name: string,
  texts: ReadonlyMap<string, string>,
  mutants: readonly Mutant[],
  status: Map<string, Status>,
): Promise<void> {
  makeSandbox(texts);
  const reach = new Map<string, number[]>();
  let statics: string[] = [];
  let first: readonly string[] = [];
  const failed: string[] = [];
  const r = await runWorker({ kind: 'coverage', sandbox: SANDBOX, corpus: CORPUS_DIR }, (m) => {
    if (m.kind === 'static') statics = [...m.keys];
    else if (m.kind === 'first') first = m.keys;
    else if (m.kind === 'covered')
      for (const k of m.keys) {
        const at = reach.get(k);
        if (at) at.push(m.vector);
        else reach.set(k, [m.vector]);
      }
    else if (m.kind === 'baseline') failed.push(...m.failed);
  });
  if (r !== 'done' || failed.length)
    throw new Error(`${name}: the instrumented engine fails ${failed.slice(0, 5).join(', ') || r}`);
  // Reached by the first run only: built once and kept (a table, a cache), so static too.
  statics.push(...first.filter((k) => !reach.has(k)));
  const isStatic = new Set(statics);
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
      const r = await runWorker(
        {
          kind: 'mutants',
          sandbox: SANDBOX,
          corpus: CORPUS_DIR,
          mutants: batch.map((key) => ({ key, vectors: reach.get(key)! })),
        },
        (m) => {
          if (m.kind === 'start') current = m.key;
          else if (m.kind === 'result') {
            status.set(m.key, m.killed ? 'Killed' : 'Survived');
            current = undefined;
          }
        },
      );
      if (r !== 'done' && current !== undefined)
        status.set(current, r === 'silent' ? 'Timeout' : 'Killed');
      queue.unshift(...batch.filter((k) => !status.has(k)));
      progress();
    }
  };
  await Promise.all([...Array(WORKERS)].map(() => drain()));
  const staticQueue = [...statics];
  const drainStatic = async (): Promise<void> => {
    for (let key = staticQueue.shift(); key !== undefined; key = staticQueue.shift()) {
      const r = await runWorker(
        {
          kind: 'mutants',
          sandbox: SANDBOX,
          corpus: CORPUS_DIR,
          preActive: key,
          mutants: [{ key }],
        },
        (m) => {
          if (m.kind === 'result') status.set(m.key, m.killed ? 'Killed' : 'Survived');
        },
      );
      // A mutant that breaks the import (the worker fails) is caught by every vector.
      if (!status.has(key)) status.set(key, r === 'silent' ? 'Timeout' : 'Killed');
      progress();
    }
  };
  await Promise.all([...Array(WORKERS)].map(() => drainStatic()));
  console.log();
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = argv.filter((a) => !a.startsWith('--'));
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const files = (args.length ? args : ['src/arch', 'src/machine', 'src/mm']).flatMap(sourcesUnder);
  const started = Date.now();
  console.log(`corpus: ${writeCorpus()} vectors; ${files.length} files`);
  const sources = new Map(files.map((f) => [f, readFileSync(join(PACKAGE_ROOT, f), 'utf8')]));
  const status = new Map<string, Status>();
  const mutants: Mutant[] = [];
  if (only !== 'bits') {
    const s = await instrumentStryker(sources);
    mutants.push(...s.mutants);
    await pass('stryker', s.texts, s.mutants, status);
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
    await pass('bits', texts, bits, status);
  }
  rmSync(SANDBOX, { recursive: true, force: true });

  const report: Report = {
    files: Object.fromEntries(
      files.map((f) => [
        f,
        {
          source: sources.get(f)!,
          mutants: mutants
            .filter((m) => m.file === f)
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
  const rows = classify(report, join(PACKAGE_ROOT, 'mutation/equivalent.json'));
  const minutes = ((Date.now() - started) / 60_000).toFixed(0);
  const table = renderTable(rows, `${minutes} min on this 2-core machine`);
  console.log(table);
  if (argv.includes('--write')) writeFileSync(join(PACKAGE_ROOT, 'docs/mutation.md'), table);
}

await main();
