// Stryker's mutants (every mutator of @stryker-mutator/instrumenter) placed in mutant schemata, for the
// in-process run (scripts/mutation-run.ts): a mutant is switched on through
// globalThis.__stryker__.activeMutant, and each one reached is counted under
// __stryker__.currentTestId (here: the vector's index), as Stryker's own test runners do.

import { Instrumenter } from '@stryker-mutator/instrumenter';
import type { Mutant } from './mutation-bits-instrument.ts';

const noop = (): void => undefined;
const quiet = {
  isTraceEnabled: () => false,
  isDebugEnabled: () => false,
  isInfoEnabled: () => false,
  isWarnEnabled: () => false,
  isErrorEnabled: () => false,
  isFatalEnabled: () => false,
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
};

/** The instrumented text of each file and the mutants, ids `s<n>` (Stryker's own ids prefixed). */
export async function instrumentStryker(
  files: ReadonlyMap<string, string>,
): Promise<{ texts: Map<string, string>; mutants: Mutant[] }> {
  const r = await new Instrumenter(quiet as never).instrument(
    [...files].map(([name, content]) => ({ name, content, mutate: true })),
    { plugins: null, excludedMutations: [], ignorers: [] },
  );
  const texts = new Map(r.files.map((f) => [f.name, f.content]));
  // The instrumenter's lines and columns count from 0; a report's from 1.
  const mutants = r.mutants.map((m): Mutant => ({
    key: `s${m.id}`,
    file: m.fileName,
    start: { line: m.location.start.line + 1, column: m.location.start.column + 1 },
    end: { line: m.location.end.line + 1, column: m.location.end.column + 1 },
    mutator: m.mutatorName,
    replacement: m.replacement,
  }));
  return { texts, mutants };
}
