// `ptvec lint`: the checks every command makes when it loads vectors (load.ts), and the check `run`
// makes before it runs them: each vector run once on the reference engine, within its work budget.

import { readVectorText, type Problem } from './vectors/files.ts';
import { duplicateKeys } from './vectors/json-duplicates.ts';
import { quote } from './vectors/quote.ts';
import { checkByRunning, loadVectors } from './load.ts';

export interface LintResult {
  readonly files: number;
  readonly vectors: number;
  readonly problems: readonly Problem[];
}

export function lint(paths: readonly string[]): LintResult {
  const loaded = loadVectors(paths, true);
  const problems = [...loaded.problems];
  // An author's check, not a run's (JSON.parse keeps the last of two members silently): a warning,
  // so that a file is valid for lint exactly when it is for run.
  for (const f of loaded.files) {
    const read = readVectorText(f.file);
    if ('text' in read)
      for (const d of duplicateKeys(read.text))
        problems.push({
          file: f.file,
          pointer: d.pointer,
          message: `the key ${quote(d.key)} is given twice in one object: JSON keeps the last, and the first is lost`,
          severity: 'warning',
        });
  }
  const valid = checkByRunning(loaded.vectors, problems);
  return { files: loaded.files.length, vectors: valid.length, problems };
}
