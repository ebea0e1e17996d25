// A mode's walk geometry, precomputed once from its arch description (vectors/arch/<arch>-<mode>.json).

import type { LevelDesc, ModeDesc } from '../layout/types.ts';
import type { LinuxLevel } from '../ops/types.ts';

export interface WalkLevel {
  readonly desc: LevelDesc;
  readonly linux: LinuxLevel;
  /** The architecture's own level number (arm64 L0-L3, riscv i, x86 4..1 for PML4..PT). */
  readonly number: number;
  readonly shift: number;
  readonly mask: number;
  /** log2 of the leaf size at this level, or -1 where the mode has no leaf here. */
  readonly leafShift: number;
  /** The low 32 bits of (leaf size - 1): the VA/PA bits a leaf here passes through (0 if none). */
  readonly leafLow: number;
}

export interface Geometry {
  readonly desc: ModeDesc;
  readonly levels: readonly WalkLevel[];
  readonly granule: number;
  readonly vaBits: number;
}

const cache = new WeakMap<ModeDesc, Geometry>();

function levelNumber(arch: string): number {
  const m = /(\d+)$/.exec(arch);
  return m ? Number(m[1]) : -1;
}

export function geometry(desc: ModeDesc): Geometry {
  const hit = cache.get(desc);
  if (hit) return hit;
  const n = desc.levels.length;
  const levels = desc.levels.map((l, i) => ({
    desc: l,
    linux: l.linux,
    number: desc.arch === 'x86_64' ? n - i : levelNumber(l.arch),
    shift: l.shift,
    mask: 2 ** (l.indexBits[0] - l.indexBits[1] + 1) - 1,
    leafShift: l.leafSize === null ? -1 : l.leafSize.toString(2).length - 1,
    leafLow: l.leafSize === null ? 0 : Number((l.leafSize - 1n) & 0xffffffffn) | 0,
  }));
  const g: Geometry = { desc, levels, granule: 2 ** desc.pageShift, vaBits: desc.vaBits };
  cache.set(desc, g);
  return g;
}

export const SIZE_SHIFT: Readonly<Record<string, number>> = {
  '4K': 12,
  '16K': 14,
  '64K': 16,
  '2M': 21,
  '32M': 25,
  '512M': 29,
  '1G': 30,
  '512G': 39,
  '256T': 48,
};
