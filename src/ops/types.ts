// The shape of an operation as the engine runs it: decoded arguments in, one value out.

import type { U64 } from '../bits/u64.ts';
import type { Arch, KernelConfig, Mode } from '../config.ts';
import type { AccessOutcome, AccessType, Machine, Priv, RootArg } from '../machine/types.ts';
import type { VmFlags } from '../mm/vm-flags.ts';

export type LinuxLevel = 'pgd' | 'p4d' | 'pud' | 'pmd' | 'pte';

export interface DecodedField {
  readonly value: U64;
  readonly width: number;
}
export interface DecodedEntry {
  readonly format: string;
  readonly fields: ReadonlyMap<string, DecodedField>;
}

export type OpValue = boolean | U64 | number | string | DecodedEntry | AccessOutcome | null;

/** Arguments by name; the vector schema fixes which ones each op has. */
export interface OpArgs {
  readonly pte?: U64;
  readonly pmd?: U64;
  readonly pud?: U64;
  readonly value?: U64;
  readonly prot?: U64;
  readonly pfn?: U64;
  readonly entry?: U64;
  readonly offset?: U64;
  /** A swap type, an INVPCID type (numbers) or a TLBI operation (string). */
  readonly type?: number | string;
  readonly marker?: number;
  readonly vmFlags?: VmFlags;
  readonly level?: LinuxLevel;
  readonly format?: string;
  readonly fields?: ReadonlyMap<string, U64>;
  readonly cpu?: number;
  readonly va?: U64;
  readonly pa?: U64;
  readonly access?: AccessType;
  readonly priv?: Priv;
  readonly root?: RootArg;
  readonly asid?: number;
  readonly pcid?: number;
  readonly noflush?: boolean;
  readonly features?: Readonly<Record<string, boolean | number>>;
}

export interface OpContext {
  readonly arch: Arch;
  readonly mode: Mode;
  readonly config: KernelConfig;
  /** The vector's machine, when it has a setup. */
  readonly machine?: Machine;
}

export type OpImpl = (args: OpArgs, ctx: OpContext) => OpValue;
export type OpTable = Readonly<Record<string, OpImpl>>;

/** What generic mm code (swapops, leafops) needs from an arch. */
export interface ArchSwap {
  pte_present(pte: U64, cfg: KernelConfig): boolean;
  pte_none(pte: U64): boolean;
  /** pte_swp_clear_flags (include/linux/swapops.h:70): clears the arch's swap flag bits. */
  swpFlagMask(cfg: KernelConfig): U64;
  /** The swap-entry uffd-wp bit (0 where the config has none). */
  swpUffdWpBit(cfg: KernelConfig): U64;
  /** pgtable_supports_uffd_wp(): the arch has uffd-wp PTE bits under this config. */
  pgtable_supports_uffd_wp(cfg: KernelConfig): boolean;
  __swp_entry(type: number, offset: U64): U64;
  __swp_type(entry: U64): number;
  __swp_offset(entry: U64): U64;
}
