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

export function selectionOf(f: Filters = {}): Selection {
  return {
    arch: f.arch ?? [],
    mode: f.mode ?? [],
    family: f.family ?? [],
    tag: f.tag ?? [],
    grep: f.grep ?? [],
    ...(f.shard ? { shard: f.shard } : {}),
  };
}
