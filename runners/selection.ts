// A Selection from filters as a caller gives them (every filter optional), and the check that each
// --arch, --mode and --family value names something: the command line and the library share both.

import { archDescriptions } from './arch.ts';
import type { Selection } from './select.ts';
import { familyNames } from './vectors/schemas.ts';

/** The filters of a run: each one may be left out (it then matches every vector). */
export interface Filters {
  readonly arch?: readonly string[];
  readonly mode?: readonly string[];
  readonly family?: readonly string[];
  readonly tag?: readonly string[];
  readonly grep?: readonly RegExp[];
  readonly shard?: { readonly index: number; readonly count: number };
}

export interface UnknownName {
  readonly filter: 'arch' | 'mode' | 'family';
  readonly value: string;
  readonly known: readonly string[];
}

/** The first arch, mode (among the modes of the arches given) or family value that names nothing. */
export function unknownName(f: Pick<Filters, 'arch' | 'mode' | 'family'>): UnknownName | undefined {
  const descs = [...archDescriptions().values()];
  const check = (filter: UnknownName['filter'], given: readonly string[] = [], known: string[]) => {
    const value = given.find((g) => !known.includes(g));
    return value === undefined ? undefined : { filter, value, known: [...new Set(known)] };
  };
  const inArch = descs.filter((d) => !f.arch?.length || f.arch.includes(d.arch));
  return (
    check(
      'arch',
      f.arch,
      descs.map((d) => d.arch),
    ) ??
    check(
      'mode',
      f.mode,
      inArch.map((d) => d.mode),
    ) ??
    check('family', f.family, [...familyNames()])
  );
}

const STRING_FILTERS = ['arch', 'mode', 'family', 'tag'] as const;

/**
 * Filters as a JavaScript caller may give them, checked: a TypeError naming the member that is not
 * what the types say (a string where an array is expected, a string in `grep`), rather than a
 * failure deep in the selection.
 */
export function checkFilters(f: unknown): asserts f is Filters {
  if (f === undefined) return;
  if (typeof f !== 'object' || f === null || Array.isArray(f))
    throw new TypeError('selection: expected an object of filters');
  const o = f as Record<string, unknown>;
  for (const k of STRING_FILTERS) {
    const v = o[k];
    if (v !== undefined && (!Array.isArray(v) || !v.every((x) => typeof x === 'string')))
      throw new TypeError(`selection.${k}: expected an array of strings`);
  }
  if (o.grep !== undefined && (!Array.isArray(o.grep) || !o.grep.every((x) => x instanceof RegExp)))
    throw new TypeError('selection.grep: expected an array of RegExp');
  const sh = o.shard as { index?: unknown; count?: unknown } | undefined;
  if (
    sh !== undefined &&
    (typeof sh !== 'object' ||
      sh === null ||
      !Number.isInteger(sh.index) ||
      !Number.isInteger(sh.count) ||
      (sh.index as number) < 1 ||
      (sh.index as number) > (sh.count as number))
  )
    throw new TypeError(
      'selection.shard: expected { index, count }, integers with 1 <= index <= count',
    );
}

export function selectionOf(f: Filters = {}): Selection {
  checkFilters(f);
  return {
    arch: f.arch ?? [],
    mode: f.mode ?? [],
    family: f.family ?? [],
    tag: f.tag ?? [],
    grep: f.grep ?? [],
    ...(f.shard ? { shard: f.shard } : {}),
  };
}
