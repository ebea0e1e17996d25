// What `ptvec run` does between parsing its arguments and writing its reports, as one function the
// command line and the library share: load (unless given loaded vectors), select, execute.

import type { Implementation } from './adapter.ts';
import { loadExpectFail, type ExpectFail } from './expect-fail.ts';
import { loadVectors } from './load.ts';
import { problemLine } from './reporters/pretty.ts';
import { execute, type RunReport } from './run.ts';
import { executeStreaming } from './run-stream.ts';
import { selectionOf, unknownName, type Filters } from './selection.ts';
import type { LoadResult, Problem } from './vectors/files.ts';

export interface RunVectorsOptions {
  /** Vector files or directories (default: the package's own vectors), or vectors already loaded. */
  readonly vectors?: readonly string[] | LoadResult;
  /** Which vectors run: the filters of `ptvec run` (--arch, --family, ...); all when left out. */
  readonly selection?: Filters;
  /** Known failures (`--expect-fail`): a loaded file, or the path of one. */
  readonly expectFail?: ExpectFail | string;
  /** Called as vectors are answered (at most about 200 times). */
  readonly onProgress?: (done: number, total: number) => void;
}

const isLoaded = (v: RunVectorsOptions['vectors']): v is LoadResult =>
  v !== undefined && 'vectors' in v;

/**
 * Runs the selected vectors against `impl` and returns the report, as `ptvec run` does. Invalid
 * vector files are in the report's `problems`; an unknown arch, mode or family, or an unreadable
 * expected-failures file, throws. `impl` is not closed.
 */
export async function run(
  impl: Implementation,
  options: RunVectorsOptions = {},
): Promise<RunReport> {
  const selection = selectionOf(options.selection);
  const bad = unknownName(selection);
  if (bad) throw new Error(`${bad.filter} ${bad.value}: expected one of ${bad.known.join(', ')}`);
  let expectFail = options.expectFail;
  if (typeof expectFail === 'string') {
    const problems: Problem[] = [];
    expectFail = loadExpectFail(expectFail, problems);
    if (problems.length) throw new Error(problems.map(problemLine).join('\n'));
  }
  const opts = {
    selection,
    ...(expectFail ? { expectFail } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  if (isLoaded(options.vectors)) return execute(impl, options.vectors, opts);
  // An implementation that takes vectors as they load gets them file by file.
  if (impl.stream) return executeStreaming(impl, options.vectors ?? [], opts);
  // The setups are built once, by the check that runs each vector (runners/load.ts).
  return execute(impl, loadVectors(options.vectors ?? [], true), opts);
}
