// Load vectors for a command: the files and their schema (files.ts), then every check a schema cannot
// express, the same for `run`, `list` and `lint`: ids unique across the corpus, the file's own rules
// (semantics.ts), step references, and a setup that builds with steps that name what exists. What
// the vector format means beyond its schema (the ops and features an arch has, a setup that builds)
// is a VectorModel the caller gives: runners/load.ts gives the reference engine's. The loader
// imports no implementation.

import { toInput } from '../adapter.ts';
import { archProblems } from '../arch.ts';
import {
  findVectorFiles,
  loadFile,
  stepExpect,
  stepName,
  type LoadedFile,
  type LoadedVector,
  type LoadResult,
  type Problem,
} from './files.ts';
import { checkIds } from './ids.ts';
import { checkFile } from './semantics.ts';
import { quote } from './quote.ts';
import type { VectorModel } from './model.ts';

/** Step references name earlier steps; unless `setupsByRun`, the setup builds and the steps name what exists. */
function checkVectors(
  model: VectorModel,
  vectors: readonly LoadedVector[],
  problems: Problem[],
  setupsByRun: boolean,
): LoadedVector[] {
  return vectors.filter((v) => {
    const p = checkStepRefs(v) ?? (setupsByRun ? undefined : checkSetup(model, v));
    if (p) problems.push(p);
    return p === undefined;
  });
}

/**
 * The setup builds (mappings fit the mode and memory and do not overlap; VMAs are sorted and inside the
 * user address space) and the steps name what exists (mms, VMAs, files; bounded walk scripts).
 */
function checkSetup(model: VectorModel, v: LoadedVector): Problem | undefined {
  const bad = model.setupProblem(v.arch, v.mode, v.setup, v.steps);
  return bad && { file: v.file, pointer: `${v.pointer}${bad.pointer}`, message: bad.message };
}

/** Step references name earlier steps, and a step another feeds on has its own expectation. */
export function checkStepRefs(v: LoadedVector): Problem | undefined {
  const names = new Map<string, number>();
  for (const [i, s] of v.steps.entries()) {
    for (const [k, a] of Object.entries(s.args)) {
      if (typeof a === 'object' && a !== null && 'step' in a) {
        const ref = (a as { step: string }).step;
        const at = names.get(ref);
        if (at === undefined) {
          return {
            file: v.file,
            pointer: `${v.pointer}/steps/${i}/args/${k}`,
            message: `expected the name of an earlier step; ${quote(ref)} is not one`,
          };
        }
        // A value a later step uses is pinned where it is made: an implementation that set stray
        // bits there would otherwise pass whenever the later step ignores them.
        if (stepExpect(v.steps[at]!) === undefined)
          return {
            file: v.file,
            pointer: `${v.pointer}/steps/${at}`,
            message: `step ${quote(ref)} feeds step ${i}, so it needs its own "expect"`,
          };
      }
    }
    const name = stepName(s);
    if (name !== undefined) {
      if (names.has(name))
        return {
          file: v.file,
          pointer: `${v.pointer}/steps/${i}/name`,
          message: `step name ${quote(name)} is used twice`,
        };
      names.set(name, i);
    }
  }
  return undefined;
}

/**
 * The vectors of the files under `paths` (default: the package's vectors/) that pass every check.
 * With `setupsByRun`, their setups are left to checkByRunningWith, which builds each once for the
 * check and the run together (a command that runs the vectors passes it).
 */
export function loadVectorsWith(
  model: VectorModel,
  paths: readonly string[],
  setupsByRun = false,
): LoadResult {
  const problems: Problem[] = [...archProblems()];
  const files: LoadedFile[] = [];
  const found = findVectorFiles(paths, problems);
  for (const f of found) {
    const lf = loadFile(f, problems);
    if (lf) files.push(lf);
  }
  if (!found.length && !problems.length)
    problems.push({ file: paths.join(' '), pointer: '', message: 'no vector files (*.json) here' });
  const unique = checkIds(
    files.flatMap((f) => f.vectors),
    paths,
    found,
    problems,
  );
  const vectors = checkLoaded(model, files, new Set(unique), problems, setupsByRun);
  return { files, vectors, problems, ...(setupsByRun ? { setupsByRun } : {}) };
}

/** The checks after the ids': each file's own rules, step references and (unless `setupsByRun`) setups. */
export function checkLoaded(
  model: VectorModel,
  files: readonly LoadedFile[],
  unique: ReadonlySet<LoadedVector>,
  problems: Problem[],
  setupsByRun: boolean,
): LoadedVector[] {
  const valid = new Set(files.flatMap((f) => checkFile(model, f, problems)));
  return checkVectors(
    model,
    files.flatMap((f) => f.vectors).filter((v) => unique.has(v) && valid.has(v)),
    problems,
    setupsByRun,
  );
}

/** The vectors whose setup builds and whose steps name what exists (VectorModel.setupProblem). */
export function checkSetupsWith(
  model: VectorModel,
  vectors: readonly LoadedVector[],
  problems: Problem[],
): LoadedVector[] {
  // Their step references were checked when they loaded.
  return vectors.filter((v) => {
    const p = checkSetup(model, v);
    if (p) problems.push(p);
    return p === undefined;
  });
}

/** The vectors whose run shows nothing wrong with them (VectorModel.runtimeProblem, which checks the
 * setup as well). */
export function checkByRunningWith(
  model: VectorModel,
  vectors: readonly LoadedVector[],
  problems: Problem[],
): LoadedVector[] {
  return vectors.filter((v) => {
    const p = model.runtimeProblem(toInput(v));
    if (p) problems.push({ file: v.file, pointer: `${v.pointer}${p.pointer}`, message: p.message });
    return p === undefined;
  });
}
