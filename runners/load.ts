// Loading vectors as every command does: the loader (vectors/load.ts) with the reference engine's
// model of the vector format (the ops and features each arch has, a setup that builds, a run that
// shows nothing wrong with the vector).

import { cpuFeatures, opsOf, runtimeProblem, vectorProblem } from './adapters/reference.ts';
import type { LoadedVector, LoadResult, Problem } from './vectors/files.ts';
import { checkByRunningWith, checkSetupsWith, loadVectorsWith } from './vectors/load.ts';
import { tierUp } from './tier-up.ts';
import type { VectorModel } from './vectors/model.ts';

export const REFERENCE_MODEL: VectorModel = {
  opsOf,
  cpuFeatures,
  setupProblem: vectorProblem,
  runtimeProblem,
};

/**
 * The vectors of the files under `paths` (default: the package's vectors/) that pass every check;
 * with `setupsByRun`, except the setup's, which checkByRunning makes (see loadVectorsWith).
 */
export const loadVectors = (paths: readonly string[], setupsByRun = false): LoadResult =>
  loadVectorsWith(REFERENCE_MODEL, paths, setupsByRun);

/** The vectors whose setup builds and whose steps name what exists. */
export const checkSetups = (
  vectors: readonly LoadedVector[],
  problems: Problem[],
): LoadedVector[] => checkSetupsWith(REFERENCE_MODEL, vectors, problems);

/**
 * The vectors whose run on the reference engine shows nothing wrong with them: within the work budget,
 * no endless walk, no value of the wrong kind. `run` and `lint` make this check as well as the
 * loader's; the run is kept, so `run --impl ref` does not repeat it.
 */
export function checkByRunning(
  vectors: readonly LoadedVector[],
  problems: Problem[],
): LoadedVector[] {
  tierUp();
  return checkByRunningWith(REFERENCE_MODEL, vectors, problems);
}
