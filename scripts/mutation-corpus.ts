// The corpus for the mutation run, loaded and checked by the unmutated engine and written as one JSON
// file per family (test/mutation/vectors.ts reads them instead of loading and validating again).

import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadVectors } from '../runners/load.ts';
import { PACKAGE_ROOT } from '../runners/paths.ts';
import type { LoadedVector } from '../runners/vectors/files.ts';

/**
 * Where Stryker's sandboxes find it (test/mutation/vectors.ts): through their node_modules link, so
 * one per node_modules. `npm run mutation` keeps its own under its package (.mutation-tmp), so that
 * runs of two worktrees sharing a node_modules never read each other's corpus.
 */
export const VITEST_CORPUS_DIR = join(PACKAGE_ROOT, 'node_modules/.cache/ptvec-mutation');
export const RUN_CORPUS_DIR = join(PACKAGE_ROOT, '.mutation-tmp/corpus');
const TESTS = join(PACKAGE_ROOT, 'test/mutation');

/** Loads the corpus (a problem is an error: the run needs the whole suite), writes it, and checks
 * that every family has its test file. */
export function writeCorpus(dir: string): number {
  const loaded = loadVectors([]);
  const errors = loaded.problems.filter((p) => p.severity !== 'warning');
  if (errors.length) throw new Error(`the corpus has problems: ${JSON.stringify(errors[0])}`);
  const byFamily = new Map<string, LoadedVector[]>();
  for (const v of loaded.vectors) byFamily.set(v.family, [...(byFamily.get(v.family) ?? []), v]);
  const tests = new Set(readdirSync(TESTS).filter((f) => f.endsWith('.mutation.ts')));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [family, vectors] of byFamily) {
    if (!tests.has(`${family}.mutation.ts`))
      throw new Error(`test/mutation/${family}.mutation.ts is missing: its vectors would not run`);
    writeFileSync(join(dir, `${family}.json`), JSON.stringify(vectors));
  }
  return loaded.vectors.length;
}
