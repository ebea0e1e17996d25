// Mutation testing of the engine by the vectors alone: `npm run mutation [-- FILE...]`.
//
// Stryker mutates src/arch, src/machine and src/mm (or the files given) and runs every vector against
// each mutant (test/mutation/vectors.mutation.ts, nothing else: the question is what an
// implementation's bug would meet). The corpus is loaded once, by the unmutated engine. Survivors
// listed in mutation/equivalent.json, with the reason no vector can kill them, are not gaps. The
// per-file result goes to stdout and, with --write, to docs/mutation.md.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../runners/paths.ts';
import { writeCorpus } from './mutation-corpus.ts';
import { classify, renderTable, type Report } from './mutation-report.ts';

const argv = process.argv.slice(2);
const write = argv.includes('--write');
const files = argv.filter((a) => !a.startsWith('--'));

const started = Date.now();
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
const report = JSON.parse(
  readFileSync(join(PACKAGE_ROOT, 'reports/mutation/stryker.json'), 'utf8'),
) as Report;
const rows = classify(report, join(PACKAGE_ROOT, 'mutation/equivalent.json'));
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
const table = renderTable(rows, `${minutes} min on this machine`);
console.log(table);
if (write) writeFileSync(join(PACKAGE_ROOT, 'docs/mutation.md'), table);
