// A vector file near the 32 MiB bound with as many vectors as fit: every way of running it ends with
// its report. `array.push(...items)` passes each item as an argument, and V8 throws "Maximum call
// stack size exceeded" somewhere between 125,000 and 200,000 of them on the main thread: the
// streaming run (--exec) crashed on such a file, and the threaded run (--jobs) fell back to one
// thread.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { MAX_FILE_BYTES } from '../../runners/vectors/files.ts';
import { tmp, vectorFile, writeJson } from './helpers.ts';

const N = 220_000;
const BIN = join(PACKAGE_ROOT, 'bin/ptvec.js');

function largeFile(): string {
  const vectors = Array.from({ length: N }, (_, i) => ({
    id: `x86_64/pte/l/v${i}`,
    description: 'd',
    steps: [{ op: 'pte_dirty', args: { pte: '0x0000000000000040' }, expect: { result: true } }],
  }));
  const d = tmp();
  const text = JSON.stringify(vectorFile(vectors));
  expect(text.length).toBeLessThan(MAX_FILE_BYTES);
  writeJson(d, 'large.json', text);
  return d;
}

// The command line, not the functions: a test runs in a worker thread, whose stack is larger than
// the main thread's, and the overflow did not happen there.
const ptvec = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', NO_COLOR: '1' },
  });

describe(`a file of ${N} vectors`, () => {
  const dir = largeFile();

  it.each([
    ['--exec (streamed to the implementation)', ['--exec', `"${process.execPath}" "${BIN}" serve`]],
    ['--jobs 2', ['--jobs', '2']],
  ])('runs with %s', (_, args) => {
    const r = ptvec('run', dir, ...args);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`${N} vectors against`);
    expect(r.stdout).toContain(`${N} passed, 0 failed`);
    expect(r.status).toBe(0);
  });
});
