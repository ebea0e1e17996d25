// A run of the reference engine over threads (runners/threads.ts) reports exactly what the same run on
// one thread reports: the same results in the same order and the same problems, also for files with
// problems of every kind (schema, duplicate ids within and across files, setup, wrong expectations).

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceImplementation } from '../../runners/adapters/reference.ts';
import { loadVectors } from '../../runners/load.ts';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { execute, type RunOptions } from '../../runners/run.ts';
import { executeInThreads } from '../../runners/threads.ts';

interface File {
  vectors: {
    id: string;
    description: unknown;
    setup?: { memory: { base: string } };
    steps: { expect?: unknown }[];
  }[];
}

/** Copies of a few corpus files under new ids, with problems put in. */
function corpusWithProblems(): string {
  const root = join(mkdtempSync(join(tmpdir(), 'ptvec-threads-')), 'vectors');
  const files = [
    'fault/x86_64/loop-anon.json',
    'fault/x86_64/mprotect.json',
    'uffd/arm64/api.json',
    'uffd/arm64/changes-bases.json',
    'pte/riscv64/laws.json',
  ];
  const data = files.map(
    (f) => JSON.parse(readFileSync(join(PACKAGE_ROOT, 'vectors', f), 'utf8')) as File,
  );
  for (const d of data) for (const v of d.vectors) v.id += '-copy';
  data[0]!.vectors[1]!.id = data[0]!.vectors[0]!.id;
  data[0]!.vectors[2]!.description = 5;
  // A wrong expectation: the first 64-bit result of the pte file, its last digit changed.
  const step = data[4]!.vectors
    .flatMap((v) => v.steps)
    .find((s) => typeof (s.expect as { result?: unknown } | undefined)?.result === 'string')!;
  const r = (step.expect as { result: string }).result;
  step.expect = { result: r.slice(0, -1) + (r.endsWith('0') ? '1' : '0') };
  data[1]!.vectors[1]!.setup!.memory.base = '0x0000000000000123';
  data[2]!.vectors[0]!.id = data[3]!.vectors[0]!.id;
  files.forEach((f, i) => {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), JSON.stringify(data[i]));
  });
  writeFileSync(join(root, 'fault', 'not-json.json'), '{"vectors": [');
  return root;
}

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
