// A worker of the in-process mutation run (scripts/mutation-run.ts): imports the instrumented engine
// from the sandbox and either records which mutants each vector reaches (and which ones the import
// itself evaluates: static), or runs mutants against the vectors that reach them. Mutant keys are
// `b<n>` (scripts/mutation-bits-instrument.ts, switched through globalThis.__pm) and `s<n>`
// (Stryker's instrumenter, switched through globalThis.__stryker__).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type * as Adapter from '../runners/adapter.ts';
import type * as Compare from '../runners/compare.ts';
import type * as Reference from '../runners/adapters/reference.ts';
import type { LoadedVector } from '../runners/vectors/files.ts';
import { SWAP } from './mutation-bits-swap.ts';

export type WorkerTask =
  | { readonly kind: 'coverage'; readonly sandbox: string; readonly corpus: string }
  | {
      readonly kind: 'mutants';
      readonly sandbox: string;
      readonly corpus: string;
      /** Switched on before the import, for a static mutant. */
      readonly preActive?: string;
      /** Each mutant with the vectors to run (indices into the corpus; all when omitted) and the time
       * they may take before the mutant counts as a timeout. */
      readonly mutants: readonly {
        readonly key: string;
        readonly vectors?: readonly number[];
        readonly limitMs?: number;
      }[];
    };
export type WorkerMessage =
  | { readonly kind: 'static'; readonly keys: readonly string[]; readonly vectors: number }
  | { readonly kind: 'first'; readonly keys: readonly string[] }
  | {
      readonly kind: 'covered';
      readonly vector: number;
      readonly keys: readonly string[];
      /** How long the vector took (with coverage counting), for a mutant's time limit. */
      readonly ms: number;
    }
  | { readonly kind: 'baseline'; readonly failed: readonly string[] }
  | { readonly kind: 'start'; readonly key: string }
  /** A vector of the running mutant passed: the run is alive. */
  | { readonly kind: 'tick' }
  | {
      readonly kind: 'result';
      readonly key: string;
      readonly status: 'Killed' | 'Survived' | 'Timeout';
    };

type Bin = (x: never, y: never) => unknown;
const OPS: Readonly<Record<string, Bin>> = {
  '&': ((x: bigint, y: bigint) => x & y) as Bin,
  '|': ((x: bigint, y: bigint) => x | y) as Bin,
  '^': ((x: bigint, y: bigint) => x ^ y) as Bin,
  '<<': ((x: bigint, y: bigint) => x << y) as Bin,
  '>>': ((x: bigint, y: bigint) => x >> y) as Bin,
  '>>>': ((x: number, y: number) => x >>> y) as Bin,
};

/** Our mutants' switch and coverage. */
const pm = {
  active: -1,
  track: undefined as Set<number> | undefined,
  l(id: number): boolean {
    this.track?.add(id);
    return id === this.active;
  },
  b(id: number, op: string, x: never, y: never): unknown {
    this.track?.add(id);
    return OPS[id === this.active ? SWAP[op]! : op]!(x, y);
  },
  n(id: number, x: bigint): bigint {
    this.track?.add(id);
    return id === this.active ? x : ~x;
  },
};
/** Stryker's (the names its instrumented code reads). */
interface StrykerNs {
  activeMutant?: string | undefined;
  currentTestId?: string | undefined;
  mutantCoverage?: {
    static: Record<string, number>;
    perTest: Record<string, Record<string, number>>;
  };
}
const g = globalThis as { __pm?: typeof pm; __stryker__?: StrykerNs };
g.__pm = pm;
const ns: StrykerNs = (g.__stryker__ = {});

const activate = (key: string | undefined): void => {
  pm.active = key?.startsWith('b') ? Number(key.slice(1)) : -1;
  ns.activeMutant = key?.startsWith('s') ? key.slice(1) : undefined;
};

const task = workerData as WorkerTask;
const post = (m: WorkerMessage) => parentPort!.postMessage(m);

const vectors: LoadedVector[] = readdirSync(task.corpus)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .flatMap((f) => JSON.parse(readFileSync(join(task.corpus, f), 'utf8')) as LoadedVector[]);

// A static mutant is on from the import: what the engine builds once is built with it.
if (task.kind === 'mutants') activate(task.preActive);
const statics = new Set<number>();
pm.track = statics;
const [{ toInput }, { observe, REFERENCE_CHOICES }, { judge }] = (await Promise.all([
  import(join(task.sandbox, 'runners/adapter.ts')),
  import(join(task.sandbox, 'runners/adapters/reference.ts')),
  import(join(task.sandbox, 'runners/compare.ts')),
])) as [typeof Adapter, typeof Reference, typeof Compare];
pm.track = undefined;

const passes = (v: LoadedVector): boolean => {
  try {
    return judge(v, observe(toInput(v)), REFERENCE_CHOICES).verdict === 'pass';
  } catch {
    return false;
  }
};

/** The mutant keys the code run by `f` reaches. */
function reached(f: () => void, i?: number): string[] {
  const hit = new Set<number>();
  pm.track = hit;
  ns.currentTestId = i === undefined ? 'warm-up' : String(i);
  f();
  pm.track = undefined;
  const perTest = ns.mutantCoverage?.perTest;
  const s = Object.keys(perTest?.[ns.currentTestId] ?? {}).map((id) => `s${id}`);
  // Read, then emptied: the coverage of 9,000 vectors is not kept twice.
  if (perTest) ns.mutantCoverage!.perTest = {};
  ns.currentTestId = undefined;
  return [...[...hit].map((n) => `b${n}`), ...s];
}

if (task.kind === 'coverage') {
  post({
    kind: 'static',
    keys: [
      ...[...statics].map((n) => `b${n}`),
      ...Object.keys(ns.mutantCoverage?.static ?? {}).map((id) => `s${id}`),
    ],
    vectors: vectors.length,
  });
  // A first run of every vector builds what the engine builds once and keeps (op tables, caches):
  // a mutant only that run reaches is counted with the static ones (mutation-run.ts), since a later
  // run would not see it.
  const failed: string[] = [];
  post({
    kind: 'first',
    keys: reached(() => vectors.forEach((v) => void (passes(v) || failed.push(v.id)))),
  });
  vectors.forEach((v, i) => {
    const t0 = performance.now();
    const keys = reached(() => void passes(v), i);
    post({ kind: 'covered', vector: i, keys, ms: performance.now() - t0 });
  });
  post({ kind: 'baseline', failed });
} else {
  // The same first run, with no mutant on, before any mutant: what it builds is the original's.
  const warm = new Set(task.mutants.flatMap((m) => m.vectors ?? []));
  if (task.preActive === undefined) for (const i of warm) passes(vectors[i]!);
  for (const m of task.mutants) {
    post({ kind: 'start', key: m.key });
    activate(m.key);
    const which = m.vectors ?? vectors.map((_, i) => i);
    const t0 = performance.now();
    let status: 'Killed' | 'Survived' | 'Timeout' = 'Survived';
    for (const i of which) {
      if (!passes(vectors[i]!)) {
        status = 'Killed';
        break;
      }
      post({ kind: 'tick' });
      if (m.limitMs !== undefined && performance.now() - t0 > m.limitMs) {
        status = 'Timeout';
        break;
      }
    }
    activate(undefined);
    post({ kind: 'result', key: m.key, status });
  }
}
