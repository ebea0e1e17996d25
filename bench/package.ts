// Issue 17's figures, on the compiled package (dist/, as `npx ptvec` runs it), each beside a baseline
// measured in the same run: a cold `ptvec run` of the whole corpus against `node -e 0`; the
// in-process throughput of the whole corpus (engine and comparer); the first verdict of a cold
// `ptvec run --exec "ptvec serve"`. The throughput is also split by phase (bench/phases.ts).

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Json, VectorInput } from '../runners/adapter.ts';
import type { RunReport } from '../runners/run.ts';
import { PACKAGE_ROOT } from '../runners/paths.ts';
import { defaultThreads } from '../runners/threads.ts';
import * as D from './dist.ts';
import { benchPhases } from './phases.ts';

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function timed(args: readonly string[]): { ms: number; stdout: string } {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  const ms = performance.now() - t;
  if (r.status !== 0)
    throw new Error(`node ${args.join(' ')} exited ${String(r.status)}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}
const wallMs = (args: readonly string[]): number => timed(args).ms;

/** A new process reading and parsing every vector file (`parse`), and validating it (`validate`). */
function floorMs(mode: 'parse' | 'validate', vectors: number): number {
  const r = timed([join(PACKAGE_ROOT, 'bench/corpus-floor.mjs'), mode]);
  if (Number(r.stdout) !== vectors)
    throw new Error(
      `bench/corpus-floor.mjs ${mode} read ${r.stdout.trim()} vectors, not ${vectors}`,
    );
  return r.ms;
}

let lastReport = '';
/** The command line's main with V8's default tiering: bin/ptvec.js without its optimizeLater. */
const DEFAULT_TIERING = [
  '--input-type=module',
  '-e',
  `const { main } = await import(${JSON.stringify(D.dist('runners/cli.js'))});
process.exitCode = await main(process.argv.slice(1));`,
];
function coldRun(
  extra: readonly string[],
  node: readonly string[] = [join(PACKAGE_ROOT, 'bin/ptvec.js')],
): number {
  lastReport = join(mkdtempSync(join(tmpdir(), 'ptvec-bench-')), 'r.json');
  return wallMs([...node, 'run', '--reporter', `json=${lastReport}`, ...extra]);
}
/** The number of vectors the last cold run judged. */
const readReportTotal = (): number =>
  (JSON.parse(readFileSync(lastReport, 'utf8')) as RunReport).summary.total;

/** The inputs with copies of their setups (the JSON of a run that had just loaded them). */
/** One result an expectation accepts: its own, or its first alternative's, or its first case's. */
function oneResult(e: unknown): Json {
  const x = (e ?? null) as {
    result?: Json;
    either?: readonly unknown[];
    byChoice?: { cases: Readonly<Record<string, unknown>> };
  } | null;
  if (x === null) return null;
  if (x.result !== undefined) return x.result;
  if (x.either) return oneResult(x.either[0]);
  if (x.byChoice) return oneResult(Object.values(x.byChoice.cases)[0]);
  return null;
}

export const freshSetups = (inputs: readonly VectorInput[]): VectorInput[] =>
  inputs.map((i) => (i.setup === undefined ? i : { ...i, setup: structuredClone(i.setup) }));

export async function benchPackage(): Promise<void> {
  const RUNS = 5;
  // Interleaved, so that a change in the machine's speed during the bench touches each alike.
  const runs = { node: [] as number[], parse: [] as number[], validate: [] as number[] };
  const colds = { run: [] as number[], one: [] as number[], tiering: [] as number[] };
  let vectorCount = 0;
  for (let i = 0; i < RUNS; i++) {
    runs.node.push(wallMs(['-e', '0']));
    colds.run.push(coldRun([]));
    vectorCount ||= readReportTotal();
    runs.parse.push(floorMs('parse', vectorCount));
    colds.one.push(coldRun(['--jobs', '1']));
    runs.validate.push(floorMs('validate', vectorCount));
    colds.tiering.push(coldRun([], DEFAULT_TIERING));
    if (readReportTotal() !== vectorCount)
      throw new Error('the cold runs judged different vectors');
  }
  const nodeStart = median(runs.node);
  const cold = median(colds.run);
  const times = (ms: number) =>
    `${ms.toFixed(0).padStart(6)} ms   ${(ms / nodeStart).toFixed(1)}x node -e 0`;
  console.log(
    `\nthe package (dist/): cold \`ptvec run\` of the whole corpus, a new process each, median of ${RUNS}:`,
  );
  console.log(`  baseline: node -e 0        ${nodeStart.toFixed(0).padStart(6)} ms`);
  console.log(
    `  ptvec run                  ${times(cold)} (target: under 1,000 ms and at most 8x)`,
  );
  console.log(
    `  ptvec run --jobs 1         ${times(median(colds.one))} (one thread; the default is one per 16 MiB of vector files: ${defaultThreads([])})`,
  );
  console.log(
    `  with V8's default tiering  ${times(median(colds.tiering))} (TurboFan from the start: runners/tier-up.ts)`,
  );
  // What any run of this corpus pays before its engine runs a vector.
  console.log(
    `  floor: read and parse      ${times(median(runs.parse))} (node reading and JSON.parse-ing every vector file)`,
  );
  console.log(
    `  floor: and validate        ${times(median(runs.validate))} (the same, then the precompiled schema validator on each)`,
  );

  const { toInput } = D.adapter;
  const { observe, REFERENCE_CHOICES } = D.reference;
  const { judge } = D.compare;
  const { loadVectors } = D.loader;
  const vectors = loadVectors([]).vectors;
  const inputs = vectors.map(toInput);
  const pass = () => {
    // New setup objects each pass, made before the timing, as a run that had just loaded them has:
    // a cache by object (as engineSetup once kept) would make a pass over the same objects free.
    const fresh = freshSetups(inputs);
    const t = performance.now();
    vectors.forEach((v, j) => judge(v, observe(fresh[j]!), REFERENCE_CHOICES));
    return performance.now() - t;
  };
  for (let i = 0; i < 3; i++) pass();
  const PASSES = 9;
  const ms = median(Array.from({ length: PASSES }, pass));
  const rate = (vectors.length / ms) * 1000;
  console.log(
    `\nin-process throughput of the whole corpus (dist/, engine + comparer), median of ${PASSES} passes:`,
  );
  console.log(
    `  ${fmt(rate).padStart(8)} vectors/s   ${ms.toFixed(0)} ms a pass   ${(rate / 100_000).toFixed(2)} of the 100,000/s target`,
  );
  // The floor under any engine that answers in JSON, as the Implementation contract has it: each
  // step's expected result built from its text (JSON.parse: V8's quickest way to make the objects)
  // and compared with the expectation by the judge's jsonEqual. No engine runs.
  const texts = vectors.map((v) =>
    v.steps.map((s) => JSON.stringify(oneResult('expect' in s ? s.expect : null))),
  );
  const expected = texts.map((ts) => ts.map((t) => JSON.parse(t) as Json));
  const floorPass = () => {
    const t = performance.now();
    let equal = 0;
    for (let i = 0; i < texts.length; i++) {
      const ts = texts[i]!;
      for (let k = 0; k < ts.length; k++)
        if (D.compare.jsonEqual(JSON.parse(ts[k]!) as Json, expected[i]![k]!)) equal++;
    }
    if (equal !== texts.reduce((a, ts) => a + ts.length, 0)) throw new Error('floor: unequal');
    return performance.now() - t;
  };
  for (let i = 0; i < 3; i++) floorPass();
  const floor = median(Array.from({ length: PASSES }, floorPass));
  console.log(
    `  floor: the results as JSON ${fmt((vectors.length / floor) * 1000).padStart(8)} vectors/s   ${floor.toFixed(0)} ms a pass   (each step's expected result made by JSON.parse and compared; no engine)`,
  );
  // The same pass by family, each vector timed alone (three passes): the average a vector costs, which
  // 100,000/s puts at 10 µs for the corpus.
  const byFamily = new Map<string, { n: number; ms: number }>();
  for (let p = 0; p < 3; p++) {
    const fresh = freshSetups(inputs);
    vectors.forEach((v, j) => {
      const t = performance.now();
      judge(v, observe(fresh[j]!), REFERENCE_CHOICES);
      const f = byFamily.get(v.family) ?? { n: 0, ms: 0 };
      f.n += p === 0 ? 1 : 0;
      f.ms += (performance.now() - t) / 3;
      byFamily.set(v.family, f);
    });
  }
  const familyMs = [...byFamily.values()].reduce((a, f) => a + f.ms, 0);
  console.log('  by family (each vector timed alone; 10 µs a vector is 100,000/s):');
  for (const [family, f] of [...byFamily].sort((a, b) => b[1].ms - a[1].ms))
    console.log(
      `    ${family.padEnd(9)} ${String(f.n).padStart(5)} vectors ${((f.ms * 1000) / f.n).toFixed(0).padStart(5)} µs a vector ${fmt((f.n / f.ms) * 1000).padStart(8)}/s ${((100 * f.ms) / familyMs).toFixed(0).padStart(3)}% of the pass`,
    );
  await benchPhases(vectors, () => freshSetups(inputs), ms);

  // The real command line on a pseudo-terminal (script(1)), so that it shows its progress line from
  // the first verdict on, with `ptvec serve` behind a probe noting when it writes its first answer
  // (bench/serve-probe.mjs).
  const probe = join(mkdtempSync(join(tmpdir(), 'ptvec-probe-')), 'first');
  const first: { verdictMs: number; answerMs: number; reportMs: number; total: number }[] = [];
  for (let i = 0; i < 5; i++) first.push(await firstVerdict(probe));
  const f = median(first.map((x) => x.verdictMs));
  const a = median(first.map((x) => x.answerMs));
  const all = median(first.map((x) => x.reportMs));
  console.log(
    `\ncold \`ptvec run --exec "ptvec serve"\` of the whole corpus (a new process each), median of ${first.length}:`,
  );
  console.log(
    `  first verdict  ${f.toFixed(0).padStart(6)} ms   (target 500 ms)   ${(f / nodeStart).toFixed(1)}x node -e 0`,
  );
  console.log(`  first answer   ${a.toFixed(0).padStart(6)} ms   (written by serve)`);
  console.log(
    `  report         ${all.toFixed(0).padStart(6)} ms   (${first[0]?.total ?? 0} vectors)`,
  );
}

/** One cold `ptvec run --exec` of the corpus: when its first verdict showed (its progress line), when
 * serve wrote its first answer, when it ended; ms from its start. */
function firstVerdict(
  probe: string,
): Promise<{ verdictMs: number; answerMs: number; reportMs: number; total: number }> {
  rmSync(probe, { force: true });
  const q = (x: string) => `'${x}'`;
  const cmd = [
    q(process.execPath),
    q(join(PACKAGE_ROOT, 'bin/ptvec.js')),
    'run --exec',
    q(`"${process.execPath}" "${join(PACKAGE_ROOT, 'bench/serve-probe.mjs')}"`),
    `--reporter json=${q(`${probe}.json`)}`,
  ].join(' ');
  const t0 = performance.timeOrigin + performance.now();
  const now = () => performance.timeOrigin + performance.now() - t0;
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
    env: { ...process.env, CI: '', NO_COLOR: '1', PTVEC_PROBE: probe },
  });
  let verdictMs = NaN;
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out = (out + d.toString('utf8')).slice(-4096);
    if (Number.isNaN(verdictMs) && / vectors \(/.test(out)) verdictMs = now();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const reportMs = now();
      if (code !== 0) return reject(new Error(`ptvec run --exec exited ${String(code)}: ${out}`));
      const total = (JSON.parse(readFileSync(`${probe}.json`, 'utf8')) as RunReport).summary.total;
      resolve({ verdictMs, answerMs: Number(readFileSync(probe, 'utf8')) - t0, reportMs, total });
    });
  });
}
