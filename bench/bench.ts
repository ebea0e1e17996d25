// npm run bench: throughput of the in-process run and the wall time of a cold `ptvec run`.
// Figures are medians of several runs, printed with ratios against a baseline measured in the same
// run, so that a person can compare them from run to run. Never asserted in a test.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { VectorObservation } from '../runners/adapter.ts';
import { PACKAGE_ROOT } from '../runners/paths.ts';
import * as D from './dist.ts';
import { benchDirty } from './dirty.ts';
import { benchFaults } from './fault.ts';
import { benchMmu } from './mmu.ts';
import { benchPackage, freshSetups } from './package.ts';
import { benchPagewalk } from './pagewalk.ts';
import { benchProtocol } from './protocol.ts';
import { benchQemu } from './qemu.ts';
import { benchUffd } from './uffd.ts';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** The times of `runs` calls of `f`, each given what `before` made (not timed). */
function timeIt<T = undefined>(runs: number, f: (x: T) => void, before?: () => T): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const x = before?.() as T;
    const t0 = performance.now();
    f(x);
    out.push(performance.now() - t0);
  }
  return out;
}

const { toInput } = D.adapter;
const { observe, REFERENCE_CHOICES } = D.reference;
const { judge } = D.compare;
const { loadVectors } = D.loader;

const t0 = performance.now();
const loaded = loadVectors([]);
const loadMs = performance.now() - t0;
const vectors = loaded.vectors;
const inputs = vectors.map(toInput);
const n = vectors.length;

// Warm up the JIT, then measure whole-corpus passes, each on new setup objects (freshSetups).
const PASSES = 9;
let observed: VectorObservation[] = inputs.map(observe);
for (let i = 0; i < 3; i++)
  vectors.forEach((v, j) => judge(v, observe(inputs[j]!), REFERENCE_CHOICES));

const full = timeIt(
  PASSES,
  (fresh) => vectors.forEach((v, j) => judge(v, observe(fresh[j]!), REFERENCE_CHOICES)),
  () => freshSetups(inputs),
);
const engineOnly = timeIt(
  PASSES,
  (fresh) => {
    observed = fresh.map(observe);
  },
  () => freshSetups(inputs),
);
const judgeOnly = timeIt(PASSES, () =>
  vectors.forEach((v, j) => judge(v, observed[j]!, REFERENCE_CHOICES)),
);

const perSec = (ms: number) => (n / ms) * 1000;
const fullRate = perSec(median(full));
const TARGET = 20_000;

console.log(`ptvec bench — ${n} vectors (${loaded.files.length} files), Node ${process.version}`);
console.log(
  `\nin-process run (reference engine + comparer, the compiled package in dist/), median of ${PASSES} passes:`,
);
console.log(
  `  whole run        ${fmt(fullRate).padStart(10)} vectors/s   ${(fullRate / TARGET).toFixed(1)}x the 20,000/s target`,
);
console.log(
  `  engine only      ${fmt(perSec(median(engineOnly))).padStart(10)} vectors/s   (baseline split of the same run)`,
);
console.log(`  comparer only    ${fmt(perSec(median(judgeOnly))).padStart(10)} vectors/s`);
console.log(
  `  load + validate  ${loadMs.toFixed(0).padStart(10)} ms once (ajv strict, ${loaded.files.length} files)`,
);

await benchPackage();

benchMmu();
// walk_page_range twice: in a process of its own, and here, after the corpus has made the walker's
// call sites (pte_entry, the pXd helpers) megamorphic.
spawnSync(
  join(PACKAGE_ROOT, 'node_modules/.bin/tsx'),
  [join(PACKAGE_ROOT, 'bench/pagewalk-run.ts')],
  {
    stdio: 'inherit',
  },
);
benchPagewalk('after the corpus, in this process');

await benchProtocol(loaded);
await benchQemu(loaded);

benchFaults();
benchDirty();
// UFFDIO_WRITEPROTECT twice: in a process of its own, and here, after the corpus.
spawnSync(join(PACKAGE_ROOT, 'node_modules/.bin/tsx'), [join(PACKAGE_ROOT, 'bench/uffd-run.ts')], {
  stdio: 'inherit',
});
benchUffd('after the corpus, in this process');
