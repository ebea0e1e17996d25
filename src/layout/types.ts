// An arch description (vectors/arch/*.json) as the engine holds it. Generated from those files by
// scripts/gen-arch.ts into layout/descriptions.generated.ts, so the engine has no second copy to drift.

import type { Arch, KernelConfig, Mode } from '../config.ts';
import type { LinuxLevel } from '../ops/types.ts';

export interface FieldDesc {
  readonly name: string;
  readonly msb: number;
  readonly lsb: number;
  readonly kind: 'hw' | 'sw' | 'swap' | 'reserved' | 'ignored';
  readonly linux?: string;
  readonly inverted?: boolean;
  readonly requires?: readonly (keyof KernelConfig)[];
}
export interface FormatDesc {
  readonly name: string;
  readonly mask: bigint;
  readonly value: bigint;
  readonly fields: readonly FieldDesc[];
}
export interface LevelDesc {
  readonly linux: LinuxLevel;
  readonly arch: string;
  readonly shift: number;
  readonly indexBits: readonly [number, number];
  readonly entries: number;
  readonly leafSize: bigint | null;
  readonly contiguous?: number;
  readonly formats: readonly FormatDesc[];
}
export interface FoldedDesc {
  readonly linux: LinuxLevel;
  readonly into: LinuxLevel;
  readonly ptrsPerTable: number;
  readonly how: 'compile-time' | 'runtime';
}
export interface ModeDesc {
  readonly arch: Arch;
  readonly mode: Mode;
  readonly vaBits: number;
  readonly pageShift: number;
  readonly levels: readonly LevelDesc[];
  readonly folded: readonly FoldedDesc[];
}
