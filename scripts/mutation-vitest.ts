// Stryker's own run, with its vitest runner: `npm run mutation:vitest [-- GLOB...]`. The same
// mutants as the in-process run of Stryker's kind (scripts/mutation-run.ts), each against the
// vectors that reach it (test/mutation/*.mutation.ts, nothing else: the question is what an
// implementation's bug would meet), to check that runner against; several times slower. The corpus
// is loaded once, by the unmutated engine. The per-file result goes to stdout and, with --write, to
// docs/mutation.md; `--from REPORT...` renders saved reports instead of running.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../runners/paths.ts';
import { writeCorpus } from './mutation-corpus.ts';
import { classify, renderTable, type Report } from './mutation-report.ts';

const argv = process.argv.slice(2);
const write = argv.includes('--write');
// --from REPORT...: the table of earlier runs' reports (Stryker's or mutation:bits'), merged.
const from = argv.includes('--from');
const paths = argv.filter((a) => !a.startsWith('--'));

function strykerRun(files: readonly string[]): Report {
  console.log(`corpus: ${writeCorpus()} vectors`);
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
  return JSON.parse(
    readFileSync(join(PACKAGE_ROOT, 'reports/mutation/stryker.json'), 'utf8'),
  ) as Report;
}

const started = Date.now();
const reports = from
  ? paths.map((p) => JSON.parse(readFileSync(p, 'utf8')) as Report)
  : [strykerRun(paths)];
const merged: Report = { files: Object.assign({}, ...reports.map((r) => r.files)) };
const rows = classify(merged, join(PACKAGE_ROOT, 'mutation/equivalent.json'));
const took = from ? 'merged reports' : `${((Date.now() - started) / 60_000).toFixed(1)} min`;
const table = renderTable(rows, took);
console.log(table);
if (write) writeFileSync(join(PACKAGE_ROOT, 'docs/mutation.md'), table);
