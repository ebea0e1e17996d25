// The processes behind `ptvec run --exec` (docs/protocol.md "Verdicts and misbehaviour"): each
// worker runs one process at a time and pipelines vectors through it. When the process fails, the
// vectors unanswered then are run again alone, and only one that fails alone as the first vector of
// a fresh process (or runs out of time alone) is blamed. Every vector gets exactly one observation.

import type { Json, VectorObservation } from '../adapter.ts';
import { toolVersion } from '../paths.ts';
import type { ErrorMessage, ResultMessage } from '../vectors/generated/protocol.ts';
import {
  BYE_LINE,
  helloProblem,
  MAX_LINE,
  parseImplementationLine,
  runnerHello,
  vectorLine,
  type ImplementationHello,
  type LineOutcome,
} from './messages.ts';
import { ImplementationProcess, type ProcessEvent } from './process.ts';
import { shorten } from '../vectors/quote.ts';
import { stop, type RunState } from './run-state.ts';

export interface ExecOptions {
  readonly argv: readonly string[];
  /** Per vector: the longest time without an answer while vectors are unanswered. */
  readonly timeoutMs: number;
  readonly jobs: number;
  readonly window?: number;
  /** How long a starting process may take to say hello (default 30 s, or the timeout if longer). */
  readonly helloTimeoutMs?: number;
}

/** Timeouts in a row, over all workers, with no answer between them, after which the run stops:
 * an implementation that has stopped answering would otherwise cost a timeout per vector. */
export const MAX_CONSECUTIVE_TIMEOUTS = 3;
const HELLO_TIMEOUT_MS = 30_000;
const BYE_GRACE_MS = 2_000;
const MAX_FAILED_STARTS = 3;
/** Times a vector is run again after failures not pinned on it, before it is blamed anyway. */
const MAX_ISOLATIONS = 2;

export type Started =
  | { readonly ok: true; readonly proc: ImplementationProcess; readonly hello: ImplementationHello }
  | { readonly ok: false; readonly reason: string };

/** Spawn (unless given the process spawned from opts.argv) and say hello; the process is killed if
 * the hello fails. Events after the hello are held for whoever takes the process. */
export function start(
  opts: ExecOptions,
  proc = new ImplementationProcess(opts.argv),
): Promise<Started> {
  const timeout = opts.helloTimeoutMs ?? Math.max(HELLO_TIMEOUT_MS, opts.timeoutMs);
  return new Promise((resolve) => {
    const done = (r: Started) => {
      clearTimeout(timer);
      proc.detach();
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
        const p = parseImplementationLine(e.line, e.bytes);
        if (p.kind === 'garbage') return done({ ok: false, reason: p.reason });
        if (p.kind !== 'hello') return done({ ok: false, reason: 'expected hello, got an answer' });
        const problem = helloProblem(p.message);
        done(
          problem === undefined
            ? { ok: true, proc, hello: p.message }
            : { ok: false, reason: problem },
        );
      }
    });
    proc.send(JSON.stringify(runnerHello(toolVersion())));
  });
}

export const errorObs = (reason: string): VectorObservation => ({ kind: 'error', reason });

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

/** The observation an answer is handed on as (the runner judges it at once and keeps the verdict). */
function keep(m: ResultMessage | ErrorMessage): VectorObservation {
  return m.type === 'error'
    ? errorObs(`the implementation reported: ${m.reason}`)
    : observation(m.steps as Json[]);
}

/** The id a line answers, if it is an answer. */
function answerOf(p: LineOutcome): string | undefined {
  return p.kind === 'refused' ? p.id : p.kind === 'answer' ? p.message.id : undefined;
}

export class Worker {
  private proc: ImplementationProcess | undefined;
  /** Vectors sent to `proc`: a failure is pinned on a vector only if it was the first and only. */
  private sent = 0;
  private failedStarts = 0;
  private lastStartFailure = '';
  /** Vectors to run alone after a failure that was not pinned on them. */
  private isolate: number[] = [];
  private isolations = new Map<number, number>();
  /** Failures not pinned on a vector, until the vectors then unanswered have their verdicts. */
  private unpinned: { reason: string; left: Set<number>; blamed: boolean }[] = [];
  /** The session's handler of the process's events; none between sessions. */
  private handler: ((e: ProcessEvent) => void) | undefined;
  private st: RunState | undefined;
  private readonly dying = new Set<Promise<void>>();

  constructor(
    private readonly opts: ExecOptions,
    private readonly window: number,
    private readonly incidents: string[],
    first?: ImplementationProcess,
  ) {
    if (first) this.adopt(first);
  }

  get gaveUp(): boolean {
    return this.failedStarts >= MAX_FAILED_STARTS;
  }

  get startFailure(): string {
    return this.lastStartFailure;
  }

  async drain(st: RunState): Promise<void> {
    this.st = st;
    this.isolate = [];
    this.isolations = new Map();
    this.unpinned = [];
    try {
      for (;;) {
        const alone = this.isolate.length > 0;
        if (st.stopped !== undefined) return;
        if (!alone && st.queue.length === 0) {
          if (st.ended) return;
          await new Promise<void>((resolve) => st.waiting.add(resolve));
          continue;
        }
        if (!alone && !this.proc?.alive) {
          // The processes already up take the queue first: one is started only for what they left
          // (--jobs 4 over two vectors starts one process, not four).
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (st.queue.length === 0) continue;
        }
        const proc = await this.ensure();
        if (!proc || st.stopped !== undefined) return;
        await this.session(st, proc, alone);
      }
    } finally {
      this.st = undefined;
    }
  }

  async close(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (p?.alive) await p.close(BYE_LINE, BYE_GRACE_MS);
    await Promise.all(this.dying);
  }

  private adopt(proc: ImplementationProcess): void {
    this.proc = proc;
    this.sent = 0;
    this.handler = undefined;
    proc.listen((e) => {
      if (proc !== this.proc) return;
      if (this.handler) this.handler(e);
      else this.idle(proc, e);
    });
  }

  /**
   * Vector i has its observation. A failure none of whose vectors was blamed once they all have
   * theirs is still the implementation's: it is reported as an incident, not lost.
   */
  private settled(i: number, error: boolean): void {
    if (this.unpinned.length === 0) return;
    this.unpinned = this.unpinned.filter((f) => {
      if (!f.left.delete(i)) return true;
      f.blamed ||= error;
      if (f.left.size > 0) return true;
      if (!f.blamed)
        this.incidents.push(
          `${f.reason} with vectors unanswered, none of which failed when run again alone (the process was restarted)`,
        );
      return false;
    });
  }

  /** Kill the process; the next vector gets a new one. */
  private discard(): void {
    const p = this.proc?.kill();
    this.proc = undefined;
    if (!p) return;
    this.dying.add(p);
    void p.then(() => this.dying.delete(p));
  }

  /** An event while no vector is in flight. An exit is fine once the process has run a vector; a
   * line never is: before the first vector it fails the start, after it is an incident, unless it
   * answers a vector of the run a second time. */
  private idle(proc: ImplementationProcess, e: ProcessEvent): void {
    if (e.kind === 'exit' && this.sent > 0) return;
    this.discard();
    if (e.kind === 'exit' || this.sent === 0) {
      const what =
        e.kind === 'exit'
          ? e.reason + proc.stderrTail()
          : `wrote ${e.kind === 'line' ? JSON.stringify(shorten(e.line)) : `a line longer than ${MAX_LINE} bytes`}`;
      this.failedStarts++;
      this.lastStartFailure = `the implementation could not be started: it ${what} after its hello, before any vector was sent`;
      return;
    }
    const id = e.kind === 'line' ? answerOf(parseImplementationLine(e.line, e.bytes)) : undefined;
    const k = id === undefined ? undefined : this.st?.byId.get(id);
    if (this.st && k !== undefined && this.st.done[k]) {
      const o = errorObs(`the implementation answered the vector "${id}" twice`);
      this.st.answered(k, o);
      return;
    }
    const what =
      e.kind === 'line'
        ? `a line while no vector was in flight: ${JSON.stringify(shorten(e.line))}`
        : `a line longer than ${MAX_LINE} bytes while no vector was in flight`;
    this.incidents.push(`the implementation wrote ${what} (the process was killed)`);
  }

  private async ensure(): Promise<ImplementationProcess | undefined> {
    while (!this.proc?.alive) {
      if (this.gaveUp || this.st?.stopped !== undefined) return undefined;
      // A run stopped while the process starts does not wait for its hello.
      const starting = new ImplementationProcess(this.opts.argv);
      const abort = () => void starting.kill();
      this.st?.aborts.add(abort);
      const s = await start(this.opts, starting);
      this.st?.aborts.delete(abort);
      if (s.ok) this.adopt(s.proc);
      else {
        this.failedStarts++;
        this.lastStartFailure = `the implementation could not be restarted: ${s.reason}`;
      }
      if (this.st?.stopped !== undefined) {
        this.discard();
        return undefined;
      }
    }
    return this.proc;
  }

  /** Run vectors from the queue (or alone, from `isolate`) through `proc`, at most a window
   * unanswered, until there are none left and all are answered (the process stays up) or the
   * process fails (it is killed). */
  private session(st: RunState, proc: ImplementationProcess, alone: boolean): Promise<void> {
    const source = alone ? this.isolate : st.queue;
    const window = alone ? 1 : this.window;
    const ms = this.opts.timeoutMs;
    const inflight = new Map<string, number>();
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let over = false;
      const end = () => {
        over = true;
        if (timer) clearTimeout(timer);
        this.handler = undefined;
        st.aborts.delete(abort);
        resolve();
      };
      // The run stopped: the vectors in flight are left to it.
      const abort = () => {
        this.discard();
        end();
      };
      st.aborts.add(abort);
      const timedOut = () => {
        if (++st.timeouts < MAX_CONSECUTIVE_TIMEOUTS)
          return fail(`no answer within ${ms} ms`, { timedOut: true });
        stop(
          st,
          `not run: the implementation stopped answering (${st.timeouts} consecutive timeouts of ${ms} ms)`,
        );
      };
      const arm = () => {
        if (timer) clearTimeout(timer);
        timer = inflight.size > 0 ? setTimeout(timedOut, ms) : undefined;
      };
      const pump = () => {
        while (inflight.size < window && source.length > 0) {
          const i = source.shift()!;
          const v = st.vectors[i]!;
          inflight.set(v.id, i);
          if (this.sent++ === 0) this.failedStarts = 0;
          proc.send(vectorLine(v));
        }
        if (inflight.size === 0) end();
        else arm();
      };
      const settle = (i: number, o: VectorObservation) => {
        st.done[i] = true;
        st.answered(i, o);
        this.settled(i, o.kind === 'error');
      };
      /** The process failed: kill it. The vector in flight is blamed if it was alone and either
       * the process's first or out of time: an exit or a line just after the previous answer
       * may belong to that answer. A vector answered twice is blamed for it. */
      const fail = (reason: string, blame: { culprit?: number; timedOut?: boolean } = {}) => {
        if (over) return;
        const { culprit } = blame;
        const why = reason + proc.stderrTail();
        const pinned =
          alone && culprit === undefined && (this.sent === 1 || blame.timedOut === true);
        this.discard();
        if (culprit !== undefined) settle(culprit, errorObs(why));
        let again = 0;
        for (const i of inflight.values()) {
          const tries = this.isolations.get(i) ?? 0;
          if (pinned || tries >= MAX_ISOLATIONS) settle(i, errorObs(why));
          else {
            this.isolations.set(i, tries + 1);
            again++;
            // Run again first, so that it is the only vector of the next process.
            if (alone) this.isolate.unshift(i);
            else this.isolate.push(i);
          }
        }
        if (again > 0)
          this.unpinned.push({ reason, left: new Set(inflight.values()), blamed: false });
        end();
      };
      this.handler = (e) => {
        if (over) return;
        if (e.kind === 'exit') return fail(`the implementation ${e.reason}`);
        if (e.kind === 'overflow') return fail(`a line on stdout longer than ${MAX_LINE} bytes`);
        const p = parseImplementationLine(e.line, e.bytes);
        if (p.kind === 'garbage') return fail(p.reason);
        if (p.kind === 'hello') return fail('garbage on stdout: a second hello');
        const id = p.kind === 'refused' ? p.id : p.message.id;
        const i = inflight.get(id);
        if (i === undefined) {
          const known = st.byId.get(id);
          return known !== undefined && st.done[known]
            ? fail(`the implementation answered the vector "${id}" twice`, { culprit: known })
            : fail(`the implementation answered an unknown id ${JSON.stringify(id)}`);
        }
        inflight.delete(id);
        st.timeouts = 0;
        settle(i, p.kind === 'refused' ? errorObs(p.reason) : keep(p.message));
        pump();
      };
      pump();
    });
  }
}
