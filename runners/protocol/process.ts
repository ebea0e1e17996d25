// One implementation process: spawned without a shell, stdout read as lines (at most MAX_LINE),
// stderr drained into a bounded tail for error reports.

import { spawn, type ChildProcess } from 'node:child_process';
import { MAX_LINE } from './messages.ts';

const STDERR_TAIL = 2048;

export type ProcessEvent =
  | { readonly kind: 'line'; readonly line: string }
  | { readonly kind: 'overflow' }
  | { readonly kind: 'exit'; readonly reason: string };

export class ImplementationProcess {
  private readonly child: ChildProcess;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private stderr = '';
  private exited = false;
  private killed = false;
  private listener: (e: ProcessEvent) => void = () => {};
  private readonly exitPromise: Promise<void>;

  constructor(argv: readonly string[]) {
    const [cmd, ...args] = argv as [string, ...string[]];
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], shell: false });
    let settle: () => void = () => {};
    this.exitPromise = new Promise((r) => (settle = r));
    this.child.stdout?.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    // A write to a process that has gone is reported by its exit, not here.
    this.child.stdin?.on('error', () => {});
    this.child.on('error', (e) => this.onExit(`could not be started: ${e.message}`, settle));
    this.child.on('close', (code, signal) =>
      this.onExit(
        signal ? `was killed by ${signal}` : `exited with status ${String(code)}`,
        settle,
      ),
    );
  }

  /** Where events go; one listener at a time. */
  listen(f: (e: ProcessEvent) => void): void {
    this.listener = f;
  }

  send(line: string): void {
    if (!this.exited) this.child.stdin?.write(line + '\n');
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

  kill(): Promise<void> {
    this.killed = true;
    if (!this.exited) this.child.kill('SIGKILL');
    return this.exitPromise;
  }

  /** bye, close stdin, and kill it if it has not exited after `graceMs`. */
  async close(byeLine: string, graceMs: number): Promise<void> {
    this.send(byeLine);
    this.child.stdin?.end();
    const timer = setTimeout(() => void this.kill(), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  private onExit(reason: string, settle: () => void): void {
    if (this.exited) return;
    this.exited = true;
    settle();
    // Lines already read come first; the exit after them.
    setImmediate(() => this.listener({ kind: 'exit', reason }));
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
        this.listener({ kind: 'overflow' });
        return;
      }
      this.listener({ kind: 'line', line: line.endsWith('\r') ? line.slice(0, -1) : line });
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingBytes += chunk.length - start;
      if (this.pendingBytes > MAX_LINE) {
        this.pending = [];
        this.pendingBytes = 0;
        this.listener({ kind: 'overflow' });
      }
    }
  }
}
