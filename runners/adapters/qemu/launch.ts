// One QEMU process running one batch of vectors. The blob goes into the guest's RAM through its
// memory-backend file before QEMU starts, and the harness's results come back through the same file
// after it exits (harness/qemu/common/harness.h has the layout): no guest output device is used.

import { spawn } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { forgetGroup, trackGroup } from '../../protocol/groups.ts';
import type { Layout, QemuTarget } from './target.ts';

/** No display, monitor, serial port or default device: the harness talks through guest RAM only. */
export const HEADLESS: readonly string[] = [
  '-display',
  'none',
  '-monitor',
  'none',
  '-serial',
  'none',
  '-nodefaults',
];

const BLOB_MAGIC = 0x424c424345565450n;
const RESULT_MAGIC = 0x534552434556545fn;
const END_MAGIC = 0x444e454345565450n;
const STDERR_TAIL = 2048;

/** Exit codes of harness.h, for messages. */
const HARNESS_EXIT: Readonly<Record<number, string>> = {
  2: 'the harness rejected the blob',
  3: 'the harness met an operation it does not know',
  4: "the harness's result region is full",
  5: 'the harness took an exception it did not expect',
};

export interface BatchResult {
  /** The words the harness wrote for each vector it finished, in order. */
  readonly done: readonly BigUint64Array[];
  /** Why the batch did not finish, when it did not. */
  readonly failure?: string;
}

function fileOffset(layout: Layout, pa: bigint, bytes: number): number {
  for (const s of layout.ram)
    if (pa >= s.pa && pa + BigInt(bytes) <= s.pa + s.size) return Number(s.fileOffset + pa - s.pa);
  throw new Error(`0x${pa.toString(16)} is not in the guest's RAM`);
}

export function ramBytes(layout: Layout): number {
  return Number(
    layout.ram.reduce((m, s) => (s.fileOffset + s.size > m ? s.fileOffset + s.size : m), 0n),
  );
}

/** The blob of a batch: the magic, the vector count, then each vector's word count and words. */
export function blobOf(vectors: readonly (readonly bigint[])[]): BigUint64Array {
  const total = 2 + vectors.reduce((n, v) => n + 1 + v.length, 0);
  const out = new BigUint64Array(total);
  out[0] = BLOB_MAGIC;
  out[1] = BigInt(vectors.length);
  let i = 2;
  for (const v of vectors) {
    out[i++] = BigInt(v.length);
    for (const w of v) out[i++] = w;
  }
  return out;
}

function bytesOf(a: BigUint64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function readWords(fd: number, offset: number, count: number): BigUint64Array {
  const out = new BigUint64Array(count);
  const buf = bytesOf(out);
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, offset + got);
    if (n === 0) break;
    got += n;
  }
  return out;
}

/** The harness's results as the memory file holds them after QEMU exited. */
export function readResults(
  layout: Layout,
  fd: number,
  count: number,
): { done: BigUint64Array[]; complete: boolean } {
  const head = readWords(fd, fileOffset(layout, layout.result.pa, 32), 4);
  const maxWords = layout.result.bytes / 8 - 4;
  if (head[0] !== RESULT_MAGIC || head[2]! > BigInt(maxWords)) return { done: [], complete: false };
  const finished = Math.min(Number(head[1]), count);
  const used = Number(head[2]);
  const body = readWords(fd, fileOffset(layout, layout.result.pa + 32n, used * 8), used);
  const done: BigUint64Array[] = [];
  let i = 0;
  while (done.length < finished && i < used) {
    const n = Number(body[i]);
    if (i + 1 + n > used) break;
    done.push(body.slice(i + 1, i + 1 + n));
    i += 1 + n;
  }
  return { done, complete: head[3] === END_MAGIC && i === used && done.length === count };
}

/**
 * Run `vectors` (each one's operation words) in one QEMU process. The memory file is emptied first,
 * so every batch starts from zeroed RAM; the process is killed after `timeoutMs`.
 */
export async function runBatch(
  target: QemuTarget,
  o: {
    readonly harness: string;
    readonly ram: string;
    readonly cpus: number;
    readonly variant?: string | undefined;
    readonly timeoutMs: number;
    /** Kills QEMU when aborted: the vectors it finished are kept. */
    readonly signal?: AbortSignal;
  },
  vectors: readonly (readonly bigint[])[],
): Promise<BatchResult> {
  const { layout } = target;
  const blob = blobOf(vectors);
  if (blob.byteLength > layout.blob.bytes)
    return {
      done: [],
      failure: `the batch's blob is ${blob.byteLength} bytes; the harness reads ${layout.blob.bytes}`,
    };
  const fd = openSync(o.ram, 'w+');
  try {
    ftruncateSync(fd, 0);
    ftruncateSync(fd, ramBytes(layout));
    writeSync(
      fd,
      bytesOf(blob),
      0,
      blob.byteLength,
      fileOffset(layout, layout.blob.pa, blob.byteLength),
    );
    const exit = await runQemu(target, target.args(o), o.timeoutMs, o.signal);
    const { done, complete } = readResults(layout, fd, vectors.length);
    if (complete) return { done };
    return { done, failure: exit.reason };
  } finally {
    closeSync(fd);
  }
}

function runQemu(
  target: QemuTarget,
  args: readonly string[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<{ reason: string }> {
  const binary = target.binary;
  return new Promise((resolve) => {
    let stderr = '';
    let timedOut = false;
    // In a process group of its own, as --exec's processes are (protocol/groups.ts): a Ctrl-C in the
    // terminal reaches ptvec alone, which stops the run and kills QEMU itself, so that the vector
    // QEMU was running gets the run's reason, not "killed by SIGINT"; ptvec's end kills the group.
    const child = spawn(binary, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
      ...(signal ? { signal, killSignal: 'SIGKILL' as const } : {}),
    });
    const group = child.pid;
    if (group !== undefined) trackGroup(group);
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-STDERR_TAIL);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const tail = (): string =>
      stderr.trim() ? `; its stderr ends: ${stderr.trim().slice(-400)}` : '';
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ reason: `${binary} could not be started: ${e.message}` });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (group !== undefined) forgetGroup(group);
      if (timedOut) resolve({ reason: `${binary} did not finish within ${timeoutMs} ms` });
      else if (signal) resolve({ reason: `${binary} was killed by ${signal}${tail()}` });
      else {
        const harness = code === null ? undefined : HARNESS_EXIT[target.harnessExit(code)];
        resolve({
          reason: `${binary} exited with status ${String(code)}${harness ? ` (${harness})` : ''}${tail()}`,
        });
      }
    });
  });
}
