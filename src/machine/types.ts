// The machine's values: accesses, outcomes (a fault is a correct answer, not an exception), CPUs and
// their TLB entries.

import type { LinuxLevel } from '../ops/types.ts';
import type { PhysMemory } from './memory.ts';
import type { Work } from './work.ts';

export type AccessType = 'load' | 'store' | 'fetch';
export type Priv = 'user' | 'supervisor';

/** schemas/vector-file.schema.json#/definitions/FaultClass. */
export type FaultClass =
  | 'translation'
  | 'reserved'
  | 'misaligned'
  | 'alignment'
  | 'address-size'
  | 'access-flag'
  | 'dirty'
  | 'permission'
  | 'non-canonical'
  | 'access'
  | 'external-abort';

/** A page-table word the hardware wrote: where, at which walk level (Geometry.levels), from what to what. */
export interface Update {
  readonly pa: number;
  readonly level: number;
  readonly old: bigint;
  readonly value: bigint;
}

export type X86Report =
  | { readonly exception: '#PF'; readonly errorCode: number; readonly cr2: bigint }
  | { readonly exception: '#GP'; readonly errorCode: number };
export interface Arm64Report {
  readonly ec: number;
  readonly fsc: number;
  readonly wnr?: boolean;
  readonly far: bigint;
}
export interface Riscv64Report {
  readonly scause: number;
  readonly stval: bigint;
}
export type ArchReport = X86Report | Arm64Report | Riscv64Report;

export type AccessOutcome =
  | {
      readonly kind: 'translated';
      readonly pa: number;
      readonly level: LinuxLevel;
      readonly updates: readonly Update[];
    }
  | {
      readonly kind: 'fault';
      readonly class: FaultClass;
      readonly level: LinuxLevel | null;
      readonly report: ArchReport;
      readonly updates: readonly Update[];
    };

/** CpuFeatures of the vector schema: booleans, and a few widths (MAXPHYADDR, PS). */
export type Features = Readonly<Record<string, boolean | number>>;

/** A cached translation: the leaf found by a walk, with what the arch keeps of the walk. */
export interface TlbEntry {
  /** The first VA of the leaf and its size, as bigint (TLB work is not a hot path). */
  readonly vaBase: bigint;
  readonly size: bigint;
  /** ASID / PCID the entry belongs to; ignored when `global`. */
  readonly asid: number;
  readonly global: boolean;
  /** Index into the mode's levels of the leaf. */
  readonly level: number;
  /** The leaf entry as cached (after the hardware's A/D write). */
  readonly leaf: bigint;
  /** PA of the first byte of the leaf. */
  readonly pa: number;
  /** Arch-specific accumulated table attributes (x86 R/W, U/S, XD; arm64 APTable, XNTable). */
  readonly attrs: number;
}

export interface Cpu {
  root: number;
  /** arm64 TTBR1_EL1 root, or undefined (EPD1). */
  root1: number | undefined;
  asid: number;
  features: Record<string, boolean | number>;
  tlb: TlbEntry[];
}

/** A translation root in a step: a table PA, or a tree of the setup's radix builder. */
export type RootArg = bigint | { readonly tree: number };

export interface Machine {
  readonly mem: PhysMemory;
  /** What the vector's steps have made the engine do, against its budget. */
  readonly work: Work;
  readonly cpus: Cpu[];
  /** The PA of a root argument (a format error when misaligned). */
  rootOf(r: RootArg, pointer: string): number;
  /** The root table of a radix builder tree. */
  treeRoot(tree: number): number;
  /** A new zeroed table frame, after every table so far (a format error when memory is full or the
   * budget of new tables is spent). */
  allocTable(pointer: string): number;
  /** Whether `pa` is a table frame of the builder (setup or allocated since). */
  isTableFrame(pa: number): boolean;
  /** Whether `pa` is a table frame the steps allocated: where it is is the implementation's choice. */
  isStepTable(pa: number): boolean;
}

declare module '../ops/types.ts' {
  /** A hardware op's access, privilege and translation root. */
  interface OpArgs {
    readonly access?: AccessType;
    readonly priv?: Priv;
    readonly root?: RootArg;
  }
  interface OpContext {
    /** The vector's machine, when it has a setup. */
    readonly machine?: Machine;
  }
  interface OpResults {
    machine: AccessOutcome;
  }
}
