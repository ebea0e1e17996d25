// The shared state of one `--exec` run (session.ts): its vectors, the queue the workers take them
// from, which are answered, and why it stopped, if it did.

import type { VectorInput, VectorObservation } from '../adapter.ts';

/** The shared state of one run: the vectors so far, the queue, which are answered. Vectors may be
 * added while the run goes on (a streaming run): the workers wait for more until it is ended. */
export interface RunState {
  readonly vectors: VectorInput[];
  readonly queue: number[];
  /** Which vectors have an observation: only that is kept, the runner judges each as it arrives. */
  readonly done: boolean[];
  /** Vector index by id, for answers. */
  readonly byId: Map<string, number>;
  /** Called as each vector's observation is known, and again for a vector found answered twice
   * after its first answer: the second observation replaces the first. */
  readonly answered: (i: number, o: VectorObservation) => void;
  /** Timeouts since the last answer, over all workers (MAX_CONSECUTIVE_TIMEOUTS). */
  timeouts: number;
  /** Why the run stopped early: the reason of every vector not answered by then. */
  stopped: string | undefined;
  /** No more vectors will be added. */
  ended: boolean;
  /** Ends the sessions under way, when the run stops. */
  readonly aborts: Set<() => void>;
  /** Workers waiting for vectors to be added or for the end. */
  readonly waiting: Set<() => void>;
}

export function newRunState(answered: (i: number, o: VectorObservation) => void): RunState {
  return {
    vectors: [],
    queue: [],
    done: [],
    byId: new Map(),
    answered,
    timeouts: 0,
    stopped: undefined,
    ended: false,
    aborts: new Set(),
    waiting: new Set(),
  };
}

function wake(st: RunState): void {
  const waiting = [...st.waiting];
  st.waiting.clear();
  for (const w of waiting) w();
}

/** More vectors for the run, their indices following the earlier ones'. Ids are unique in a run. */
export function addVectors(st: RunState, vectors: readonly VectorInput[]): void {
  for (const v of vectors) {
    const i = st.vectors.push(v) - 1;
    st.queue.push(i);
    st.done.push(false);
    st.byId.set(v.id, i);
  }
  wake(st);
}

/** No more vectors: the workers end once the queue is empty. */
export function endVectors(st: RunState): void {
  st.ended = true;
  wake(st);
}

/** End the run: the sessions under way are ended (their processes killed) and every vector not
 * answered yet gets `reason`. */
export function stop(st: RunState, reason: string): void {
  st.stopped = reason;
  for (const abort of [...st.aborts]) abort();
  wake(st);
}
