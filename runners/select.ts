// Which vectors a run takes: filters (any value of a filter matches; all filters given must match)
// and deterministic sharding by id.

import type { LoadedVector } from './vectors/files.ts';

export interface Selection {
  readonly arch: readonly string[];
  readonly mode: readonly string[];
  readonly family: readonly string[];
  readonly tag: readonly string[];
  readonly grep: readonly RegExp[];
  readonly shard?: { readonly index: number; readonly count: number };
}

/** FNV-1a over the id: a vector's shard depends on its id alone, so adding vectors moves no other. */
export function shardOf(id: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h % count) + 1;
}

export function parseShard(s: string): { index: number; count: number } | undefined {
  const m = /^([1-9][0-9]*)\/([1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return index <= count ? { index, count } : undefined;
}

const any = <T>(values: readonly T[], pred: (v: T) => boolean) =>
  values.length === 0 || values.some(pred);

export function selects(s: Selection, v: LoadedVector): boolean {
  return (
    any(s.arch, (a) => a === v.arch) &&
    any(s.mode, (m) => m === v.mode) &&
    any(s.family, (f) => f === v.family) &&
    any(s.tag, (t) => v.tags.includes(t) || v.flags.includes(t)) &&
    any(s.grep, (r) => r.test(v.id) || r.test(v.description)) &&
    (!s.shard || shardOf(v.id, s.shard.count) === s.shard.index)
  );
}

export function select(s: Selection, vectors: readonly LoadedVector[]): LoadedVector[] {
  return vectors
    .filter((v) => selects(s, v))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
