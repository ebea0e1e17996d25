// What the three targets' decoders share: reading the harness's words in order, and turning what the
// harness saw (the stamp an access hit, the entries read back around it) into the vector's terms.

import type { Json } from '../../adapter.ts';

/** A physical address an access may reach, stamped before it, and the level whose entry gives it. */
export interface Stamp {
  readonly pa: bigint;
  readonly linux: string;
}

export const hex64 = (x: bigint): string => `0x${x.toString(16).padStart(16, '0')}`;

/** The harness's words for one vector, read in order; an error names a short or long output. */
export function wordReader(out: BigUint64Array): { next: () => bigint; finish: () => void } {
  let i = 0;
  return {
    next: () => {
      if (i >= out.length)
        throw new Error(`the harness wrote ${out.length} words; more were expected`);
      return out[i++]!;
    },
    finish: () => {
      if (i !== out.length)
        throw new Error(`the harness wrote ${out.length} words; ${i} were expected`);
    },
  };
}

/** The page-table words the access changed: each entry read back before and after it, in walk order. */
export function updatesOf(
  path: readonly bigint[],
  before: readonly bigint[],
  after: readonly bigint[],
): { pa: string; value: string }[] {
  return path.flatMap((pa, k) =>
    after[k] === before[k] ? [] : [{ pa: hex64(pa), value: hex64(after[k]!) }],
  );
}

/**
 * Where the access went: the candidate whose stamp it met (the PA comes from the data, never from
 * the vector), or, when none did, a value that no expectation holds, so that the vector fails.
 */
export function translatedAt(hit: Stamp | undefined, updates: Json): Json {
  return {
    translated: hit
      ? { pa: hex64(hit.pa), level: hit.linux }
      : { pa: 'not observed: no stamped candidate PA held the access', level: null },
    updates,
  };
}
