// What the vector format means beyond its schema, as an engine of the format defines it: the loader
// checks vectors against a VectorModel its caller gives (runners/load.ts: the reference engine's).

import type { VectorInput } from '../adapter.ts';
import type { LoadedVector } from './files.ts';
import type { Step } from './generated/vector-file.ts';

type Found = { readonly pointer: string; readonly message: string } | undefined;

/** What the loader checks a vector against beyond its schema. */
export interface VectorModel {
  /** The ops an arch defines. */
  readonly opsOf: (arch: LoadedVector['arch']) => readonly string[];
  /** The CPU features of an arch (`set_features` names only these). */
  readonly cpuFeatures: (arch: LoadedVector['arch']) => Readonly<Record<string, unknown>>;
  /** Why the setup does not build or a step names what does not exist (pointer relative to the
   * vector), or undefined. */
  readonly setupProblem: (
    arch: string,
    mode: string,
    setup: unknown,
    steps: readonly Step[],
  ) => Found;
  /** What running the vector shows wrong with it (over budget, an endless walk, a value of the wrong
   * kind), or undefined. */
  readonly runtimeProblem: (input: VectorInput) => Found;
}
