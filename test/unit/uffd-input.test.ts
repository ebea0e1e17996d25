// Bad input of the uffd family: what is a format error (named by file, vector, step and pointer) and
// what is a result the kernel gives.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { toInput } from '../../runners/adapter.ts';
import { observe } from '../../runners/adapters/reference.ts';
import { judge } from '../../runners/compare.ts';
import { loadVectors } from '../../runners/load.ts';
import { tmp, vectorFile, writeJson } from './helpers.ts';

type Json = Record<string, unknown>;
const edges = JSON.parse(
  readFileSync(join(PACKAGE_ROOT, 'vectors/uffd/x86_64/edges.json'), 'utf8'),
) as { vectors: Json[] };
/** The edges file's write-protect vector, with its id, steps and setup changed. */
function variant(id: string, change: (v: Json) => void): Json {
  const v = structuredClone(edges.vectors[0]!);
  v.id = `x86_64/uffd/t/4level/${id}`;
  change(v);
  return v;
}
const load = (v: Json) =>
  loadVectors([
    writeJson(
      tmp(),
      'uffd.json',
      vectorFile([v], {
        family: 'uffd',
        refs: ['linux-v6.19 fs/userfaultfd.c:381 handle_userfault'],
        defaults: { arch: 'x86_64', mode: '4level' },
      }),
    ),
  ]);
const step = (v: Json) => (v.steps as Json[])[0]!;
const setup = (v: Json) => v.setup as { uffds: Json[] };

describe('bad input of the uffd family', () => {
  /** What running the one loaded vector gives. */
  const run = (v: Json) => {
    const r = load(v);
    expect(r.problems).toEqual([]);
    return observe(toInput(r.vectors[0]!));
  };

  it('a step naming an unknown context is a format error at its argument', () => {
    expect(run(variant('unknown-uffd', (v) => ((step(v).args as Json).uffd = 'nope')))).toEqual({
      kind: 'error',
      reason: expect.stringMatching(
        /^invalid vector at \/steps\/0\/args\/uffd: .*no uffd is "nope"/,
      ),
    });
  });

  it('a context whose features the config refuses is a format error at the features', () => {
    const o = run(
      variant('refused-feature', (v) => {
        v.config = { CONFIG_PTE_MARKER_UFFD_WP: false };
        setup(v).uffds[0]!.features = ['WP_ASYNC', 'WP_UNPOPULATED'];
      }),
    );
    expect(o).toEqual({
      kind: 'error',
      reason: expect.stringMatching(
        /^invalid vector at \/setup\/uffds\/0\/features: UFFDIO_API refuses WP_ASYNC/,
      ),
    });
  });

  it('UFFDIO_WRITEPROTECT of a range no VMA maps is a result, -ENOENT, not a format error', () => {
    const r = load(
      variant('unmapped-range', (v) => {
        (step(v).args as Json).start = '0x00007f2000000000';
        (step(v).expect as Json).result = { ret: -2, events: [], changes: [], woken: [] };
      }),
    );
    expect(r.problems).toEqual([]);
    const v = r.vectors[0]!;
    expect(judge(v, observe(toInput(v)), {}).verdict).toBe('pass');
  });
});
