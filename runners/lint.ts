// `ptvec lint`: the checks every command makes when it loads vectors (load.ts), and the check `run`
// makes before it runs them: each vector run once on the reference engine, within its work budget.

import type { Problem } from './vectors/files.ts';
import { checkByRunning, loadVectors } from './load.ts';

export interface LintResult {
  readonly files: number;
  readonly vectors: number;
  readonly problems: readonly Problem[];
}

export function lint(paths: readonly string[]): LintResult {
  const loaded = loadVectors(paths, true);
  const problems = [...loaded.problems];
  const valid = checkByRunning(loaded.vectors, problems);
  return { files: loaded.files.length, vectors: valid.length, problems };
}
