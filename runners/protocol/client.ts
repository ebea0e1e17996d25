// `ptvec run --exec`: an implementation as N processes speaking the protocol (docs/protocol.md).
// Vectors are pipelined; a crash, hang, garbage, oversized line or bad id ends the process, and the
// vectors that were unanswered then are run again one at a time in a fresh process, so that only
// the vector that fails alone gets the `error` verdict. Every vector gets exactly one observation.

import type { Implementation, Json, VectorInput, VectorObservation } from '../adapter.ts';
import { toolVersion } from '../run.ts';
import {
  BYE_LINE,
  DEFAULT_WINDOW,
  helloProblem,
  isHello,
  MAX_LINE,
  parseImplementationLine,
  runnerHello,
  vectorLine,
  type ImplementationHello,
} from './messages.ts';
import { notCovered } from './negotiate.ts';
import { ImplementationProcess } from './process.ts';

export interface ExecOptions {
  readonly argv: readonly string[];
  /** Per vector: the longest time without an answer while vectors are unanswered. */
  readonly timeoutMs: number;
  readonly jobs: number;
  readonly window?: number;
  /** How long a starting process may take to say hello (default 30 s, or the timeout if longer). */
  readonly helloTimeoutMs?: number;
}

const HELLO_TIMEOUT_MS = 30_000;
const BYE_GRACE_MS = 2_000;
const MAX_FAILED_STARTS = 3;

type Started =
  | { readonly ok: true; readonly proc: ImplementationProcess; readonly hello: ImplementationHello }
  | { readonly ok: false; readonly reason: string };

/** Spawn and say hello; the process is killed if the hello fails. */
function start(opts: ExecOptions): Promise<Started> {
  const proc = new ImplementationProcess(opts.argv);
  const timeout = opts.helloTimeoutMs ?? Math.max(HELLO_TIMEOUT_MS, opts.timeoutMs);
  return new Promise((resolve) => {
    const done = (r: Started) => {
      clearTimeout(timer);
      proc.listen(() => {});
      if (!r.ok) void proc.kill();
      resolve(r);
    };
    const timer = setTimeout(
      () => done({ ok: false, reason: `no hello within ${timeout} ms${proc.stderrTail()}` }),
      timeout,
    );
    proc.listen((e) => {
      if (e.kind === 'exit') done({ ok: false, reason: `it ${e.reason}${proc.stderrTail()}` });
      else if (e.kind === 'overflow') done({ ok: false, reason: 'its hello line is too long' });
      else {
        const p = parseImplementationLine(e.line);
        if (!p.ok) return done({ ok: false, reason: p.reason });
        const problem = helloProblem(p.message);
        if (problem !== undefined || !isHello(p.message))
          return done({ ok: false, reason: problem ?? 'expected hello' });
        done({ ok: true, proc, hello: p.message });
      }
    });
    proc.send(JSON.stringify(runnerHello(toolVersion())));
  });
}

const errorObs = (reason: string): VectorObservation => ({ kind: 'error', reason });

function observation(steps: readonly Json[]): VectorObservation {
  return {
    kind: 'observed',
    steps: steps.map((s) => {
      const a = s as { result?: Json; unsupported?: string };
      return a.unsupported !== undefined
        ? { kind: 'unsupported', reason: a.unsupported }
        : { kind: 'result', result: a.result ?? null };
    }),
  };
}

/** The shared state of one `run` call: the vectors, the queue, the answers. */
interface RunState {
  readonly vectors: readonly VectorInput[];
  readonly queue: number[];
  readonly obs: (VectorObservation | undefined)[];
  /** Vector index by id, for answers. */
  readonly byId: ReadonlyMap<string, number>;
  readonly answered: () => void;
}

class Worker {
  private proc: ImplementationProcess | undefined;
  private failedStarts = 0;
  private lastStartFailure = '';
  /** Vectors to run alone after a failure that cannot be pinned on one of them. */
  private readonly isolate: number[] = [];
  private readonly isolations = new Map<number, number>();

  constructor(
    private readonly opts: ExecOptions,
    private readonly window: number,
    first?: ImplementationProcess,
  ) {
    this.proc = first;
  }

  get gaveUp(): boolean {
    return this.failedStarts >= MAX_FAILED_STARTS;
  }

  get startFailure(): string {
    return this.lastStartFailure;
  }

  async drain(st: RunState): Promise<void> {
    for (;;) {
      const alone = this.isolate.length > 0;
      if (!alone && st.queue.length === 0) return;
      const proc = await this.ensure();
      if (!proc) return;
      const source = alone ? this.isolate : st.queue;
      await this.session(st, proc, source, alone ? 1 : this.window);
    }
  }

  async close(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (p?.alive) await p.close(BYE_LINE, BYE_GRACE_MS);
  }

  private async ensure(): Promise<ImplementationProcess | undefined> {
    if (this.proc?.alive) return this.proc;
    while (!this.gaveUp) {
      const s = await start(this.opts);
      if (s.ok) {
        this.failedStarts = 0;
        this.proc = s.proc;
        return s.proc;
      }
      this.failedStarts++;
      this.lastStartFailure = `the implementation could not be restarted: ${s.reason}`;
    }
    return undefined;
  }

  /** Run vectors from `source` through `proc`, at most `window` unanswered, until the source is
   * empty and all are answered (the process stays up) or the process fails (it is killed). */
  private session(
    st: RunState,
    proc: ImplementationProcess,
    source: number[],
    window: number,
  ): Promise<void> {
    const inflight = new Map<string, number>();
    const alone = window === 1 && source === this.isolate;
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let over = false;
      const arm = () => {
        if (timer) clearTimeout(timer);
        timer =
          inflight.size > 0
            ? setTimeout(
                () => fail(`no answer within ${this.opts.timeoutMs} ms`),
                this.opts.timeoutMs,
              )
            : undefined;
      };
      const end = () => {
        over = true;
        if (timer) clearTimeout(timer);
        proc.listen(() => {});
        resolve();
      };
      const pump = () => {
        while (inflight.size < window && source.length > 0) {
          const i = source.shift() as number;
          const v = st.vectors[i] as VectorInput;
          inflight.set(v.id, i);
          proc.send(vectorLine(v));
        }
        if (inflight.size === 0) end();
        else arm();
      };
      const settle = (i: number, o: VectorObservation) => {
        st.obs[i] = o;
        st.answered();
      };
      /** The process failed: kill it; decide who is to blame. */
      const fail = (reason: string, culprit?: number) => {
        if (over) return;
        void proc.kill();
        const unanswered = [...inflight.values()];
        const why = reason + proc.stderrTail();
        if (culprit !== undefined) st.obs[culprit] = errorObs(why);
        for (const i of unanswered) {
          const tries = this.isolations.get(i) ?? 0;
          if (culprit === undefined && (unanswered.length === 1 || alone)) settle(i, errorObs(why));
          else if (tries >= 2) settle(i, errorObs(why));
          else {
            this.isolations.set(i, tries + 1);
            this.isolate.push(i);
          }
        }
        end();
      };
      proc.listen((e) => {
        if (over) return;
        if (e.kind === 'exit')
          return inflight.size ? fail(`the implementation ${e.reason}`) : end();
        if (e.kind === 'overflow') return fail(`a line on stdout longer than ${MAX_LINE} bytes`);
        const p = parseImplementationLine(e.line);
        if (!p.ok) return fail(p.reason);
        const m = p.message;
        if (m.type === 'hello') return fail('garbage on stdout: a second hello');
        const i = inflight.get(m.id);
        if (i === undefined) {
          const known = st.byId.get(m.id);
          return known !== undefined && st.obs[known] !== undefined
            ? fail(`the implementation answered the vector "${m.id}" twice`, known)
            : fail(`the implementation answered an unknown id ${JSON.stringify(m.id)}`);
        }
        inflight.delete(m.id);
        settle(
          i,
          m.type === 'error'
            ? errorObs(`the implementation reported: ${m.reason}`)
            : observation(m.steps as Json[]),
        );
        pump();
      });
      pump();
    });
  }
}

/** The implementation behind `--exec`; its first process is started (and says hello) here. */
export async function execImplementation(opts: ExecOptions): Promise<Implementation> {
  const first = await start(opts);
  const label = opts.argv.join(' ');
  if (!first.ok) {
    const reason = `the implementation (${label}) did not start: ${first.reason}`;
    return {
      name: opts.argv[0] ?? 'exec',
      choices: {},
      run: (vectors, answered) =>
        Promise.resolve(
          vectors.map(() => {
            answered?.();
            return errorObs(reason);
          }),
        ),
      close: () => Promise.resolve(),
    };
  }
  const hello = first.hello;
  const window = Math.min(hello.window ?? DEFAULT_WINDOW, opts.window ?? DEFAULT_WINDOW);
  const workers: Worker[] = [new Worker(opts, window, first.proc)];
  for (let j = 1; j < opts.jobs; j++) workers.push(new Worker(opts, window));
  return {
    name: hello.implementation.name,
    version: hello.implementation.version,
    choices: Object.fromEntries(
      Object.entries(hello.choices ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    notCovered: (v) => notCovered(hello.supports, v),
    async run(vectors, answered = () => {}) {
      const st: RunState = {
        vectors,
        queue: vectors.map((_, i) => i),
        obs: vectors.map(() => undefined),
        byId: new Map(vectors.map((v, i) => [v.id, i])),
        answered,
      };
      await Promise.all(workers.map((w) => w.drain(st)));
      // Workers that could not restart leave vectors behind; they get the start failure.
      const reason = workers.find((w) => w.gaveUp)?.startFailure ?? 'no answer for this vector';
      return st.obs.map((o) => {
        if (o) return o;
        answered();
        return errorObs(reason);
      });
    },
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
