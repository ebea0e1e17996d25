// The vectors alone against a mutated engine (npm run mutation:vitest): each vector of a family a test, named
// by its id, run in-process through the same adapter and comparer as `ptvec run`. The corpus was
// loaded and checked once by the unmutated engine (scripts/mutation-corpus.ts), a file per family so
// that a mutant's run reads only the families whose vectors reach it.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type * as Adapter from '../../runners/adapter.ts';
import type * as Compare from '../../runners/compare.ts';
import type * as Reference from '../../runners/adapters/reference.ts';
import type { LoadedVector } from '../../runners/vectors/files.ts';

interface Engine {
  readonly toInput: typeof Adapter.toInput;
  readonly observe: typeof Reference.observe;
  readonly judge: typeof Compare.judge;
}

let engine: Promise<Engine> | undefined;
/** The engine, imported by the first test: an import a mutant breaks fails the test (a hook's failure
 * would skip the tests instead, which a mutation run counts as no failure). */
function loadEngine(): Promise<Engine> {
  engine ??= Promise.all([
    import('../../runners/adapter.ts'),
    import('../../runners/adapters/reference.ts'),
    import('../../runners/compare.ts'),
  ]).then(([{ toInput }, { observe }, { judge }]) => ({ toInput, observe, judge }));
  return engine;
}

export function vectorTests(family: string): void {
  const shard = new URL(`../../node_modules/.cache/ptvec-mutation/${family}.json`, import.meta.url);
  const vectors = JSON.parse(readFileSync(shard, 'utf8')) as LoadedVector[];
  describe(family, () => {
    it.each(vectors.map((v) => [v.id, v] as const))('%s', async (_id, v) => {
      const engine = await loadEngine();
      const j = engine.judge(v, engine.observe(engine.toInput(v)), {});
      expect(j.verdict, j.reason).toBe('pass');
    });
  });
}
