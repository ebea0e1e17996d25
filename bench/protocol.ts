// The protocol path against the in-process run: the whole corpus through `--exec "ptvec serve"`
// (target: at least 0.5 of the in-process vectors/s) and the C implementation of examples/c-impl
// on the vectors it declares, each against the in-process run of the same vectors, in this process.

import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Implementation } from '../runners/adapter.ts';
import { PACKAGE_ROOT } from '../runners/paths.ts';
import type { LoadResult } from '../runners/vectors/files.ts';
import * as D from './dist.ts';

const { toInput } = D.adapter;
const { referenceImplementation } = D.reference;
const { execImplementation } = D.client;
const { execute } = D.run;

const ALL = { arch: [], mode: [], family: [], tag: [], grep: [] };
const PASSES = 5;

/** Median vectors/s of `execute` over `loaded` (after one warm-up pass), and the verdicts' summary. */
async function rate(impl: Implementation, loaded: LoadResult) {
  const times: number[] = [];
  let summary = '';
  let ran = 0;
  for (let i = 0; i <= PASSES; i++) {
    const t = performance.now();
    const r = await execute(impl, loaded, { selection: ALL });
    if (i > 0) times.push(performance.now() - t);
    ran = r.summary.total - r.summary.skipped;
    summary = `${r.summary.passed} passed, ${r.summary.failed} failed, ${r.summary.errors} errors, ${r.summary.skipped} skipped`;
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)] as number;
  return { perSec: (ran / ms) * 1000, ran, summary };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function benchProtocol(loaded: LoadResult): Promise<void> {
  const bin = join(PACKAGE_ROOT, 'bin/ptvec.js');
  const ref = await rate(referenceImplementation(), loaded);
  console.log(
    `\nthe protocol (--exec), whole runs through execute() incl. the comparer, median of ${PASSES}:`,
  );
  console.log(`  in-process reference   ${fmt(ref.perSec).padStart(8)} vectors/s   (baseline)`);
  for (const jobs of [1, 2]) {
    const impl = await execImplementation({
      argv: [process.execPath, bin, 'serve'],
      timeoutMs: 30_000,
      jobs,
    });
    const r = await rate(impl, loaded);
    await impl.close();
    console.log(
      `  ptvec serve, --jobs ${jobs}  ${fmt(r.perSec).padStart(8)} vectors/s   ${(r.perSec / ref.perSec).toFixed(2)} of in-process (target 0.5); ${r.summary}`,
    );
  }

  const out = mkdtempSync(join(tmpdir(), 'ptvec-bench-c-'));
  const b = spawnSync('sh', [join(PACKAGE_ROOT, 'examples/c-impl/build.sh'), out], {
    encoding: 'utf8',
  });
  if (b.status !== 0) {
    console.log(`  C implementation: not built (${b.stderr.trim()})`);
    return;
  }
  const c = await execImplementation({ argv: [join(out, 'ptvec-c')], timeoutMs: 30_000, jobs: 1 });
  const covered = loaded.vectors.filter((v) => c.notCovered?.(toInput(v)) === undefined);
  const subset: LoadResult = { ...loaded, vectors: covered };
  const cr = await rate(c, subset);
  await c.close();
  const refSubset = await rate(referenceImplementation(), subset);
  console.log(
    `  C impl (examples/c-impl) ${fmt(cr.perSec).padStart(6)} vectors/s   ${(cr.perSec / refSubset.perSec).toFixed(2)} of in-process on the same ${cr.ran} vectors (${fmt(refSubset.perSec)}/s); ${cr.summary}`,
  );
}
