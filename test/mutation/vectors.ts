// The vectors alone against a mutated engine (npm run mutation): each vector of a family a test, named
// by its id, run in-process through the same adapter and comparer as `ptvec run`. The corpus was
// loaded and checked once by the unmutated engine (scripts/mutation-corpus.ts), a file per family so
// that a mutant's run reads only the families whose vectors reach it. The engine is imported in
// beforeAll, so that a mutant that breaks an import fails every test rather than none.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as Adapter from '../../runners/adapter.ts';
import type * as Compare from '../../runners/compare.ts';
import type * as Reference from '../../runners/adapters/reference.ts';
import type { LoadedVector } from '../../runners/vectors/files.ts';

interface Engine {
  readonly toInput: typeof Adapter.toInput;
  readonly observe: typeof Reference.observe;
  readonly judge: typeof Compare.judge;
}

export function vectorTests(family: string): void {
  const shard = new URL(`../../node_modules/.cache/ptvec-mutation/${family}.json`, import.meta.url);
  const vectors = JSON.parse(readFileSync(shard, 'utf8')) as LoadedVector[];
  let engine: Engine | undefined;
  beforeAll(async () => {
    const [{ toInput }, { observe }, { judge }] = await Promise.all([
      import('../../runners/adapter.ts'),
      import('../../runners/adapters/reference.ts'),
      import('../../runners/compare.ts'),
    ]);
    engine = { toInput, observe, judge };
  });
  describe(family, () => {
    it.each(vectors.map((v) => [v.id, v] as const))('%s', (_id, v) => {
      if (!engine) throw new Error('the engine did not load');
      const j = engine.judge(v, engine.observe(engine.toInput(v)), {});
      expect(j.verdict, j.reason).toBe('pass');
    });
  });
}
