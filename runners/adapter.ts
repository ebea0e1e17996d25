// The seam between the runner and an implementation (style-anchors.md: Embed.Engine). The reference
// engine is one implementation; a process speaking the protocol is another. Implementations get the
// vector without its expectations and answer with what they observed.

import type { ResolvedConfig } from './vectors/config.ts';
import { stepName } from './vectors/files.ts';
import type { Step } from './vectors/generated/vector-file.ts';

export type Json =
  null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

/** A step as an implementation sees it: op, name and args; never `expect`. */
export interface StepInput {
  readonly op: string;
  readonly name?: string;
  readonly args: Step['args'];
}

export interface VectorInput {
  readonly id: string;
  readonly family: string;
  readonly arch: string;
  readonly mode: string;
  readonly config: ResolvedConfig;
  /** The machine the steps start from (schema Setup), for the mmu/tlb families. */
  readonly setup?: Json;
  readonly steps: readonly StepInput[];
}

export type StepObservation =
  | { readonly kind: 'result'; readonly result: Json }
  | { readonly kind: 'unsupported'; readonly reason: string };

export type VectorObservation =
  | { readonly kind: 'observed'; readonly steps: readonly StepObservation[] }
  | { readonly kind: 'error'; readonly reason: string };

export interface Implementation {
  readonly name: string;
  readonly version?: string;
  /** Implementation choices the spec leaves open (e.g. riscv A/D update), by name. */
  readonly choices: Readonly<Record<string, string>>;
  /**
   * Result fields the implementation cannot observe for this vector, by op, as JSON pointers into a
   * step's result (hardware reports no fault class, for instance): the comparer leaves them out of
   * the expectation and the observation alike.
   */
  unobserved?(v: VectorInput): Readonly<Record<string, readonly string[]>>;
  /** Why the implementation does not run this vector (it is skipped with the reason), if it does not. */
  notCovered?(v: VectorInput): string | undefined;
  /**
   * Run the vectors, handing each one's observation to `answered` (by its index in `vectors`) as soon
   * as it is known, so that the runner keeps only verdicts; every vector gets one, and a later one for
   * the same index replaces it. Resolves when all are answered. If it throws or rejects, the vectors
   * not answered by then are errors (the run goes on to its report).
   */
  run(
    vectors: readonly VectorInput[],
    answered: (index: number, observation: VectorObservation) => void,
  ): Promise<void>;
  /**
   * Optional, used instead of `run` where present: take the vectors in batches while the runner is
   * still loading them, so that verdicts come before the whole selection is loaded. `answered`'s
   * index counts over all batches in the order they were added.
   */
  stream?(answered: (index: number, observation: VectorObservation) => void): VectorStream;
  /** What went wrong with the implementation that was no vector's fault, so far, for the report. */
  incidents?(): readonly string[];
  /**
   * Optional: end the run under way, and any later one, early (`ptvec run` on a signal or at
   * `--max-time`). Every vector not answered yet is answered with an error observation giving
   * `reason`, and `run` (or the stream's `end`) resolves soon after.
   */
  stop?(reason: string): void;
  close(): Promise<void>;
}

/** Vectors handed to an implementation in batches (Implementation.stream). */
export interface VectorStream {
  /** More vectors; their ids differ from every earlier one's. */
  add(vectors: readonly VectorInput[]): void;
  /** No more vectors: resolves when every vector added is answered. */
  end(): Promise<void>;
}

type VectorSource = {
  id: string;
  family: string;
  arch: string;
  mode: string;
  config: ResolvedConfig;
  setup?: unknown;
  steps: readonly Step[];
};

// One input per loaded vector, so that what is known about it (the reference engine's run) is kept once.
const inputs = new WeakMap<VectorSource, VectorInput>();

export function toInput(v: VectorSource): VectorInput {
  let input = inputs.get(v);
  if (!input) {
    input = makeInput(v);
    inputs.set(v, input);
  }
  return input;
}

function makeInput(v: VectorSource): VectorInput {
  return {
    id: v.id,
    family: v.family,
    arch: v.arch,
    mode: v.mode,
    config: v.config,
    ...(v.setup === undefined ? {} : { setup: v.setup as Json }),
    steps: v.steps.map((s) => {
      const name = stepName(s);
      return name === undefined ? { op: s.op, args: s.args } : { op: s.op, name, args: s.args };
    }),
  };
}
