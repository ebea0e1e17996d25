// A streaming run (runners/run-stream.ts) reports exactly what a run of the loaded vectors reports,
// also for files with problems of every kind, and hands the implementation its first vectors before
// the last file is loaded.

import { describe, expect, it } from 'vitest';
import type { Implementation, VectorInput } from '../../runners/adapter.ts';
import { referenceImplementation } from '../../runners/adapters/reference.ts';
import { loadVectors } from '../../runners/load.ts';
import { execImplementation } from '../../runners/protocol/client.ts';
import { execute, type RunOptions } from '../../runners/run.ts';
import { executeStreaming } from '../../runners/run-stream.ts';
import { run } from '../../runners/run-vectors.ts';
import { corpusWithProblems, tmp, vectorFile, writeJson } from './helpers.ts';

const ALL: RunOptions = { selection: { arch: [], mode: [], family: [], tag: [], grep: [] } };

/** The reference engine taking its vectors in batches; `batches` records their sizes. */
function streamingReference(batches: number[]): Implementation {
  const ref = referenceImplementation();
  return {
    ...ref,
    stream(answered) {
      let base = 0;
      const runs: Promise<void>[] = [];
      return {
        add(vectors: readonly VectorInput[]) {
          batches.push(vectors.length);
          const at = base;
          base += vectors.length;
          runs.push(ref.run(vectors, (i, o) => answered(at + i, o)));
        },
        end: async () => {
          await Promise.all(runs);
        },
      };
    },
  };
}

describe('a streaming run', () => {
  const dir = corpusWithProblems();
  it('reports what a run of the loaded vectors reports, file by file', async () => {
    const batches: number[] = [];
    const whole = await execute(referenceImplementation(), loadVectors([dir], true), ALL);
    const streamed = await executeStreaming(streamingReference(batches), [dir], ALL);
    expect(whole.summary.problems).toBeGreaterThanOrEqual(6);
    expect(whole.summary.failed).toBeGreaterThanOrEqual(1);
    expect(streamed).toEqual(whole);
    // The first vector alone, as soon as it is checked; then at least a batch per file with a
    // vector to run (four: changes-bases.json's only vector repeats an id of api.json, read first).
    expect(batches[0]).toBe(1);
    expect(batches.length).toBeGreaterThanOrEqual(4);
  });

  it('applies the selection, the expected failures and the skips as a run of the loaded vectors', async () => {
    const opts: RunOptions = {
      selection: { ...ALL.selection, family: ['fault', 'uffd'] },
      expectFail: {
        file: 'xf.json',
        reasons: new Map([
          ['no/such/id', 'stale'],
          ['x86_64/fault/mprotect/4level/none-copy', 'x'],
        ]),
      },
    };
    const skipping = (impl: Implementation): Implementation => ({
      ...impl,
      notCovered: (v) => (v.arch === 'arm64' ? 'no arm64 here' : undefined),
    });
    const whole = await execute(
      skipping(referenceImplementation()),
      loadVectors([dir], true),
      opts,
    );
    expect(whole.summary.skipped).toBeGreaterThan(0);
    expect(await executeStreaming(skipping(streamingReference([])), [dir], opts)).toEqual(whole);
  });

  it('gives the vectors to the implementation only once it has started, and reports a duplicate id found in a later file', async () => {
    const d = tmp();
    const v = (id: string) => ({
      id,
      description: id,
      steps: [{ op: 'pte_dirty', args: { pte: '0x0000000000000067' }, expect: { result: true } }],
    });
    writeJson(d, 'a.json', vectorFile([v('x86_64/pte/s/a'), v('x86_64/pte/s/same')]));
    writeJson(d, 'b.json', vectorFile([v('x86_64/pte/s/b'), v('x86_64/pte/s/same')]));
    let ready: (i: Implementation) => void = () => undefined;
    const started = new Promise<Implementation>((resolve) => (ready = resolve));
    const report = executeStreaming(started, [d], ALL);
    setTimeout(() => ready(streamingReference([])), 20);
    const r = await report;
    expect(r.results.map((x) => [x.id, x.verdict])).toEqual([
      ['x86_64/pte/s/a', 'pass'],
      ['x86_64/pte/s/b', 'pass'],
    ]);
    expect(r.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^duplicate id "x86_64\/pte\/s\/same": also at .*b\.json/),
      expect.stringMatching(/^duplicate id "x86_64\/pte\/s\/same": also at .*a\.json/),
    ]);
  });

  it('is what run() does for an implementation that streams, and `ptvec serve` over the protocol gives the same results', async () => {
    const whole = await execute(referenceImplementation(), loadVectors([dir], true), ALL);
    const impl = await execImplementation({
      argv: [process.execPath, 'bin/ptvec.js', 'serve'],
      timeoutMs: 30_000,
      jobs: 2,
    });
    try {
      const served = await run(impl, { vectors: [dir] });
      expect(served.results).toEqual(whole.results);
      expect(served.problems).toEqual(whole.problems);
      expect(served.summary).toEqual(whole.summary);
    } finally {
      await impl.close();
    }
  }, 60_000);
});
