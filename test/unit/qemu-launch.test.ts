// The framing between the QEMU adapter and its harnesses (harness/qemu/common/harness.h): the blob
// the adapter writes and the results it reads back, including a batch the harness did not finish.

import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blobOf, readResults } from '../../runners/adapters/qemu/launch.ts';
import type { Layout } from '../../runners/adapters/qemu/target.ts';

const layout: Layout = {
  ram: [{ pa: 0x1000n, size: 0x10000n, fileOffset: 0n }],
  vectors: { lo: 0x8000n, hi: 0x11000n },
  blob: { pa: 0x2000n, bytes: 0x1000 },
  result: { pa: 0x4000n, bytes: 0x1000 },
};
const dir = mkdtempSync(join(tmpdir(), 'ptvec-launch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function resultFile(words: readonly bigint[]): number {
  const path = join(dir, `ram-${Math.random()}`);
  const fd = openSync(path, 'w+');
  const a = BigUint64Array.from(words);
  writeSync(fd, new Uint8Array(a.buffer), 0, a.byteLength, 0x3000);
  return fd;
}

describe('the QEMU harness framing', () => {
  it('puts the magic, the count, and each vector as its length and words', () => {
    expect([...blobOf([[1n, 2n], [], [3n]])]).toEqual([
      0x424c424345565450n,
      3n,
      2n,
      1n,
      2n,
      0n,
      1n,
      3n,
    ]);
  });

  it('reads every vector of a finished batch', () => {
    const fd = resultFile([0x534552434556545fn, 2n, 5n, 0x444e454345565450n, 1n, 7n, 2n, 8n, 9n]);
    const r = readResults(layout, fd, 2);
    closeSync(fd);
    expect(r.complete).toBe(true);
    expect(r.done.map((a) => [...a])).toEqual([[7n], [8n, 9n]]);
  });

  it('keeps the vectors done before a crash and reports the batch unfinished', () => {
    const fd = resultFile([0x534552434556545fn, 1n, 2n, 0n, 1n, 7n, 2n, 8n]);
    const r = readResults(layout, fd, 3);
    closeSync(fd);
    expect(r.complete).toBe(false);
    expect(r.done.map((a) => [...a])).toEqual([[7n]]);
  });

  it('reads nothing from RAM the harness never reached', () => {
    const fd = resultFile([0n, 0n, 0n, 0n]);
    expect(readResults(layout, fd, 1)).toEqual({ done: [], complete: false });
    closeSync(fd);
  });

  it('trusts no count the guest wrote past the result region', () => {
    const fd = resultFile([0x534552434556545fn, 5n, 1n << 40n, 0x444e454345565450n, 1n, 7n]);
    expect(readResults(layout, fd, 5)).toEqual({ done: [], complete: false });
    closeSync(fd);
  });
});
