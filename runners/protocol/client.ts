// `ptvec run --exec`: an implementation as N processes speaking the protocol (docs/protocol.md).
// Vectors are pipelined; a crash, hang, garbage, oversized line or bad id ends the process, and the
// vectors that were unanswered then are run again one at a time in a fresh process, so that only
// the vector that fails alone gets the `error` verdict (session.ts). Every vector gets exactly one
// observation.

import type { Implementation, VectorObservation, VectorStream } from '../adapter.ts';
import { DEFAULT_WINDOW } from './messages.ts';
import { ImplementationProcess } from './process.ts';
import { notCovered, unobservedBy } from './negotiate.ts';
import { addVectors, endVectors, newRunState, stop, type RunState } from './run-state.ts';
import { errorObs, start, Worker, type ExecOptions } from './session.ts';

export { MAX_CONSECUTIVE_TIMEOUTS, type ExecOptions } from './session.ts';

/** Each incident once, in the order of its first time, with how many times it happened. */
function counted(incidents: readonly string[]): string[] {
  const times = new Map<string, number>();
  for (const m of incidents) times.set(m, (times.get(m) ?? 0) + 1);
  return [...times].map(([m, n]) => (n === 1 ? m : `${m} (${n} times)`));
}

/** The implementation behind `--exec`; its first process is started (and says hello) here. */
export async function execImplementation(opts: ExecOptions): Promise<Implementation> {
  return execImplementationFrom(opts, new ImplementationProcess(opts.argv));
}

/** execImplementation, its first process `spawned` from opts.argv by a caller that started it
 * before loading this module (the command line). */
export async function execImplementationFrom(
  opts: ExecOptions,
  spawned: ImplementationProcess,
): Promise<Implementation> {
  const first = await start(opts, spawned);
  const label = opts.argv.join(' ');
  if (!first.ok) {
    let reason = `the implementation (${label}) did not start: ${first.reason}`;
    return {
      name: opts.argv[0] ?? 'exec',
      choices: {},
      run: (vectors, answered) => {
        vectors.forEach((_, i) => answered(i, errorObs(reason)));
        return Promise.resolve();
      },
      // A run stopped while it started: its vectors were not run for that reason.
      stop: (why) => (reason = why),
      close: () => Promise.resolve(),
    };
  }
  const hello = first.hello;
  const window = Math.min(hello.window ?? DEFAULT_WINDOW, opts.window ?? DEFAULT_WINDOW);
  const incidents: string[] = [];
  const workers: Worker[] = [new Worker(opts, window, incidents, first.proc)];
  for (let j = 1; j < opts.jobs; j++) workers.push(new Worker(opts, window, incidents));
  const runs = new Set<RunState>();
  let stopped: string | undefined;
  const stream = (answered: (i: number, o: VectorObservation) => void): VectorStream => {
    const st = newRunState(answered);
    if (stopped !== undefined) stop(st, stopped);
    runs.add(st);
    const drained = Promise.all(workers.map((w) => w.drain(st))).finally(() => runs.delete(st));
    return {
      add: (vectors) => addVectors(st, vectors),
      async end() {
        endVectors(st);
        await drained;
        // A stopped run, or workers that could not restart, leave vectors behind.
        const reason =
          st.stopped ?? workers.find((w) => w.gaveUp)?.startFailure ?? 'no answer for this vector';
        st.done.forEach((d, i) => {
          if (!d) answered(i, errorObs(reason));
        });
      },
    };
  };
  return {
    name: hello.implementation.name,
    version: hello.implementation.version,
    choices: Object.fromEntries(
      Object.entries(hello.choices ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    notCovered: (v) => notCovered(hello.supports, v),
    unobserved: (v) => unobservedBy(hello.supports, v),
    incidents: () => counted(incidents),
    stream,
    run(vectors, answered) {
      const s = stream(answered);
      s.add(vectors);
      return s.end();
    },
    stop(reason) {
      stopped ??= reason;
      for (const st of runs) stop(st, stopped);
    },
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
