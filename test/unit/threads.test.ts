// A run of the reference engine over threads (runners/threads.ts) reports exactly what the same run on
// one thread reports: the same results in the same order and the same problems, also for files with
// problems of every kind (schema, duplicate ids within and across files, setup, wrong expectations).

import { truncateSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceImplementation } from '../../runners/adapters/reference.ts';
import { loadVectors } from '../../runners/load.ts';
import { execute, type RunOptions } from '../../runners/run.ts';
import { BYTES_PER_THREAD, defaultThreads, executeInThreads } from '../../runners/threads.ts';
import { corpusWithProblems, tmp } from './helpers.ts';

const ALL: RunOptions = { selection: { arch: [], mode: [], family: [], tag: [], grep: [] } };

describe('a threaded run of the reference engine', () => {
  const dir = corpusWithProblems();
  it.each([2, 3])('reports what one thread reports (%i threads)', async (threads) => {
    const one = await execute(referenceImplementation(), loadVectors([dir], true), ALL);
    const many = await executeInThreads([dir], ALL, threads);
    expect(one.summary.problems).toBeGreaterThanOrEqual(6);
    expect(one.summary.failed).toBeGreaterThanOrEqual(1);
    expect(many).toEqual(one);
  });
  it('still checks the setups of the vectors the selection leaves out', async () => {
    const opts: RunOptions = { selection: { ...ALL.selection, family: ['uffd'] } };
    const one = await execute(referenceImplementation(), loadVectors([dir], true), opts);
    expect(one.problems).toContainEqual(
      expect.objectContaining({
        file: expect.stringMatching(/fault\/x86_64\/mprotect\.json$/),
        pointer: '/vectors/1/setup/memory',
      }),
    );
    expect(await executeInThreads([dir], opts, 2)).toEqual(one);
  });
  it('applies the selection and the expected failures as one thread does', async () => {
    const opts: RunOptions = {
      selection: { ...ALL.selection, family: ['fault'] },
      expectFail: {
        file: 'xf.json',
        reasons: new Map([
          ['no/such/id', 'stale'],
          ['x86_64/fault/mprotect/4level/none-copy', 'x'],
        ]),
      },
    };
    const one = await execute(referenceImplementation(), loadVectors([dir], true), opts);
    expect(await executeInThreads([dir], opts, 2)).toEqual(one);
  });
});

describe('the threads of a run without --jobs', () => {
  /** A directory of vector files of these sizes (sparse: nothing is written but their length). */
  const filesOf = (...sizes: number[]) => {
    const d = tmp();
    sizes.forEach((size, i) => {
      const f = join(d, `f${i}.json`);
      writeFileSync(f, '');
      truncateSync(f, size);
    });
    writeFileSync(join(d, 'not-a-vector-file.txt'), 'x'.repeat(1024));
    return d;
  };
  it('are one for each BYTES_PER_THREAD of vector files, at least one, at most one per core', () => {
    const cores = availableParallelism();
    expect(defaultThreads([filesOf(1024)])).toBe(1);
    expect(defaultThreads([filesOf(BYTES_PER_THREAD - 1)])).toBe(1);
    expect(defaultThreads([filesOf(BYTES_PER_THREAD, BYTES_PER_THREAD - 1)])).toBe(1);
    expect(defaultThreads([filesOf(BYTES_PER_THREAD, BYTES_PER_THREAD)])).toBe(Math.min(2, cores));
    expect(defaultThreads([filesOf(...Array<number>(cores + 1).fill(BYTES_PER_THREAD))])).toBe(
      cores,
    );
    expect(defaultThreads([join(tmp(), 'missing')])).toBe(1);
  });
});
