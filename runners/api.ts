// The package's library API (`import ... from 'ptvec'`): load and select vectors, run them against an
// implementation (the reference engine, a process speaking the protocol, or your own object), judge,
// and write reports. docs/library.md describes it; nothing else of the package is public.

import type { Implementation } from './adapter.ts';
import { referenceImplementation as reference } from './adapters/reference.ts';
import { loadVectors as loadWithReferenceModel } from './load.ts';
import { execute as executeSelected, type RunOptions, type RunReport } from './run.ts';
import { select as selectBy } from './select.ts';
import { selectionOf, type Filters } from './selection.ts';
import type { LoadedVector, LoadResult } from './vectors/files.ts';

// Loading and selecting

/**
 * The vectors of the files and directories under `paths` (default: the package's own vectors/),
 * checked as `ptvec run` checks them; invalid files are `problems`, the rest still load.
 */
export function loadVectors(paths: readonly string[] = []): LoadResult {
  return loadWithReferenceModel(paths);
}
/** The package's vectors/ directory. */
export { VECTORS_DIR } from './paths.ts';
/** The vectors the filters take (each filter optional, as for `run`), sorted by id. */
export function select(filters: Filters, vectors: readonly LoadedVector[]): LoadedVector[] {
  return selectBy(selectionOf(filters), vectors);
}
export type { Selection } from './select.ts';
export type { Filters } from './selection.ts';
export type { LoadedFile, LoadedVector, LoadResult, Problem } from './vectors/files.ts';
export type { ResolvedConfig } from './vectors/config.ts';
export type { Config, Step, Vector, VectorFile } from './vectors/generated/vector-file.ts';

// Implementations

export type {
  Implementation,
  Json,
  StepInput,
  StepObservation,
  VectorInput,
  VectorObservation,
  VectorStream,
} from './adapter.ts';

/** The reference engine, in process (`ptvec run` without --exec). */
export const referenceImplementation: () => Implementation = reference;
/** A program speaking the protocol of docs/protocol.md (`ptvec run --exec`): argv, timeoutMs, jobs. */
export { execImplementation, type ExecOptions } from './protocol/client.ts';

// Running and judging

/** Load, select and run, as `ptvec run` does; the report. */
export { run, type RunVectorsOptions } from './run-vectors.ts';
/** What `run` does after loading: the selected vectors of `loaded` run against `impl`. */
export async function execute(
  impl: Implementation,
  loaded: LoadResult,
  opts: Omit<RunOptions, 'selection'> & { readonly selection?: Filters } = {},
): Promise<RunReport> {
  return executeSelected(impl, loaded, { ...opts, selection: selectionOf(opts.selection) });
}
export {
  exitCode,
  summarize,
  type ResultEntry,
  type RunOptions,
  type RunReport,
  type StepRecord,
  type Summary,
} from './run.ts';
/** One vector's verdict from an implementation's observation. */
export { judge, type Judgement, type Mismatch, type Verdict } from './compare.ts';
export type { FieldDiff } from './arch.ts';
/** Known failures (`--expect-fail FILE`): listed failures are xfail, listed passes xpass. */
export { loadExpectFail, type ExpectFail } from './expect-fail.ts';

// Reports

export { render, REPORTERS, type ReporterName } from './reporters/render.ts';
export { renderHtml } from './reporters/html.ts';
export { renderJson } from './reporters/json.ts';
export { renderJunit } from './reporters/junit.ts';
export { COLOUR, PLAIN, renderPretty, type Style } from './reporters/pretty.ts';
export { renderTap } from './reporters/tap.ts';
/** The JSON reports of the shards of one run joined (`ptvec merge`). */
export { mergeReports, type Merged } from './merge.ts';
/** The checks of `ptvec lint` on vector files. */
export { lint, type LintResult } from './lint.ts';
