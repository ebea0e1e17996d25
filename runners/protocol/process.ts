// One implementation process: spawned without a shell as the leader of its own process group,
// stdout read as lines (at most MAX_LINE), stderr drained into a bounded tail for error reports.
// Its exit is noticed by itself, not by its pipes closing: something it started may hold them open.

import { spawn, type ChildProcess } from 'node:child_process';
import { forgetGroup, killGroup, trackGroup } from './groups.ts';

/** The longest line an implementation may write, newline excluded (docs/protocol.md "Transport"). */
export const MAX_LINE = 8 * 1024 * 1024;
const STDERR_TAIL = 2048;
/** After the process exits, how long its pipes may take to deliver what it wrote. */
export const EXIT_DRAIN_MS = 100;

export type ProcessEvent =
  | { readonly kind: 'line'; readonly line: string; readonly bytes: number }
  | { readonly kind: 'overflow' }
  | { readonly kind: 'exit'; readonly reason: string };

/** The most characters of vector lines joined into one write. */
const WRITE_CHUNK = 1 << 20;

export class ImplementationProcess {
  private readonly child: ChildProcess;
  private readonly pgid: number | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private stderr = '';
  private outbox: string[] = [];
  private exited = false;
  private killed = false;
  private listener: ((e: ProcessEvent) => void) | undefined;
  /** Events that came while nobody listened, for the next listener. */
  private held: ProcessEvent[] = [];
  private settle: () => void = () => {};
  private readonly exitPromise: Promise<void>;

  constructor(argv: readonly string[]) {
    const [cmd, ...args] = argv as [string, ...string[]];
    this.exitPromise = new Promise((r) => (this.settle = r));
    this.child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      detached: true,
    });
    this.pgid = this.child.pid;
    if (this.pgid !== undefined) trackGroup(this.pgid);
    this.child.stdout?.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    // A write to a process that has gone is reported by its exit, not here.
    this.child.stdin?.on('error', () => {});
    this.child.on('error', (e) => this.onExit(`could not be started: ${e.message}`));
    this.child.on('exit', (code, signal) =>
      this.onExit(signal ? `was killed by ${signal}` : `exited with status ${String(code)}`),
    );
  }

  /** Where events go, starting with those held since the last listener; one listener at a time. */
  listen(f: (e: ProcessEvent) => void): void {
    this.listener = f;
    while (this.listener === f && this.held.length > 0) f(this.held.shift()!);
  }

  /** Hold events until the next `listen`. */
  detach(): void {
    this.listener = undefined;
  }

  /**
   * Sends a line. The lines sent in one turn of the event loop (the answers of one chunk of stdout
   * each free a place for a vector) go in one write: a write per line cost a system call and a
   * wake-up of the reader each (profiled: 650 ms of a 4.8 s run through `ptvec serve`; 120 ms now).
   */
  send(line: string): void {
    if (this.exited) return;
    if (this.outbox.push(line) === 1) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    const lines = this.outbox;
    this.outbox = [];
    if (this.exited) return;
    // In writes of about WRITE_CHUNK: few system calls, and no string near V8's length limit
    // however large the vectors of a window are.
    let from = 0;
    let size = 0;
    for (let i = 0; i < lines.length; i++) {
      size += lines[i]!.length + 1;
      if (size < WRITE_CHUNK && i < lines.length - 1) continue;
      this.child.stdin?.write(lines.slice(from, i + 1).join('\n') + '\n');
      from = i + 1;
      size = 0;
    }
  }

  /** False from the moment it is killed, before the kill is reported. */
  get alive(): boolean {
    return !this.exited && !this.killed;
  }

  /** The last lines the process wrote to stderr, for a report, or ''. */
  stderrTail(): string {
    const t = this.stderr.trim();
    return t
      ? `; its stderr ended with: ${JSON.stringify(t.split('\n').slice(-5).join('\n'))}`
      : '';
  }

  /** Kill it and everything in its process group. */
  kill(): Promise<void> {
    this.killed = true;
    if (!this.exited && (this.pgid === undefined || !killGroup(this.pgid)))
      this.child.kill('SIGKILL');
    return this.exitPromise;
  }

  /** bye, close stdin, and kill it if it has not exited after `graceMs`. */
  async close(byeLine: string, graceMs: number): Promise<void> {
    this.send(byeLine);
    // What is held for the turn's write goes before the end of stdin.
    this.flush();
    this.child.stdin?.end();
    const timer = setTimeout(() => void this.kill(), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  private emit(e: ProcessEvent): void {
    if (this.listener) this.listener(e);
    else this.held.push(e);
  }

  /** The process has gone. Its pipes get a moment to deliver what it wrote (they close at once
   * unless something else holds them), then they are closed and what is left of its group is
   * killed, before the exit is reported. */
  private onExit(reason: string): void {
    if (this.exited) return;
    this.exited = true;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.child.stdin?.destroy();
      this.child.stdout?.destroy();
      this.child.stderr?.destroy();
      if (this.pgid !== undefined) {
        killGroup(this.pgid);
        forgetGroup(this.pgid);
      }
      this.settle();
      // Lines already read come first; the exit after them.
      setImmediate(() => this.emit({ kind: 'exit', reason }));
    };
    const timer = setTimeout(finish, EXIT_DRAIN_MS);
    this.child.once('close', finish);
  }

  private onData(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      const line =
        this.pending.length === 0
          ? piece.toString('utf8')
          : Buffer.concat([...this.pending, piece]).toString('utf8');
      const bytes = this.pendingBytes + piece.length;
      this.pending = [];
      this.pendingBytes = 0;
      start = nl + 1;
      if (bytes > MAX_LINE) {
        this.emit({ kind: 'overflow' });
        return;
      }
      const cr = line.endsWith('\r');
      this.emit({
        kind: 'line',
        line: cr ? line.slice(0, -1) : line,
        bytes: cr ? bytes - 1 : bytes,
      });
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingBytes += chunk.length - start;
      if (this.pendingBytes > MAX_LINE) {
        this.pending = [];
        this.pendingBytes = 0;
        this.emit({ kind: 'overflow' });
      }
    }
  }
}
