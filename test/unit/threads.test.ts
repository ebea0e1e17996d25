// A run of the reference engine over threads (runners/threads.ts) reports exactly what the same run on
// one thread reports: the same results in the same order and the same problems, also for files with
// problems of every kind (schema, duplicate ids within and across files, setup, wrong expectations).

import { describe, expect, it } from 'vitest';
import { referenceImplementation } from '../../runners/adapters/reference.ts';
import { loadVectors } from '../../runners/load.ts';
import { execute, type RunOptions } from '../../runners/run.ts';
import { executeInThreads } from '../../runners/threads.ts';
import { corpusWithProblems } from './helpers.ts';

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
