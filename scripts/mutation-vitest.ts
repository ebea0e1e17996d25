// Stryker's own run, with its vitest runner: `npm run mutation:vitest [-- GLOB...]`. The same
// mutants as the in-process run of Stryker's kind (scripts/mutation-run.ts), each against the
// vectors that reach it (test/mutation/*.mutation.ts, nothing else: the question is what an
// implementation's bug would meet), to check that runner against; several times slower. The corpus
// is loaded once, by the unmutated engine. The per-file result goes to stdout; its report,
// reports/mutation/stryker.json, can be rendered with `npm run mutation -- --from`.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../runners/paths.ts';
import { VITEST_CORPUS_DIR, writeCorpus } from './mutation-corpus.ts';
import { classify, renderTable, type Report } from './mutation-report.ts';

const files = process.argv.slice(2);
const started = Date.now();
console.log(`corpus: ${writeCorpus(VITEST_CORPUS_DIR)} vectors`);
const r = spawnSync(
  process.execPath,
  [
    join(PACKAGE_ROOT, 'node_modules/@stryker-mutator/core/bin/stryker.js'),
    'run',
    'stryker.config.mjs',
    ...(files.length ? ['--mutate', files.join(',')] : []),
  ],
  { cwd: PACKAGE_ROOT, stdio: 'inherit' },
);
if (r.status !== 0) process.exit(r.status ?? 1);
const report = JSON.parse(
  readFileSync(join(PACKAGE_ROOT, 'reports/mutation/stryker.json'), 'utf8'),
) as Report;
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
console.log(
  renderTable(classify(report, join(PACKAGE_ROOT, 'mutation/equivalent')), `${minutes} min`),
);
