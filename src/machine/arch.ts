// What each architecture's MMU provides to the machine: the radix builder's encodings, the access
// (TLB, walk, permission, A/D, fault report), and its own instructions (TLB maintenance, roots).

import type { U64 } from '../bits/u64.ts';
import type { OpArgs, OpValue } from '../ops/types.ts';
import type { Geometry } from './geometry.ts';
import type { AccessOutcome, AccessType, Cpu, Features, Machine, Priv } from './types.ts';

/** An arch instruction; it returns nothing when it completed, or what it reports instead (x86 #GP). */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- most instructions return nothing
export type MachineOp = (m: Machine, cpu: Cpu, g: Geometry, a: OpArgs) => OpValue | void;

export interface ArchMmu {
  /** The CpuFeatures keys of this arch with their defaults (schema CpuFeatures). */
  readonly features: Features;
  /** The radix builder's table entry pointing at `pa`. */
  defaultTable(pa: U64): U64;
  /** The address bits of an entry mapping or pointing at `pa`. */
  addr(pa: U64): U64;
  /** The arch description's format name of a leaf at this level. */
  leafFormat(g: Geometry, level: number): string;
  /** Whether `va` is inside the mode's address space (so a mapping can hold it). */
  vaValid(g: Geometry, va: U64): boolean;
  access(m: Machine, cpu: Cpu, g: Geometry, va: U64, t: AccessType, p: Priv): AccessOutcome;
  /** Control-register changes that also invalidate (x86 CR4, SDM §4.10.4.1). */
  featuresChanged(cpu: Cpu, before: Features): void;
  /** Rejects (VectorFormatError) a setup CPU state the hardware cannot hold, such as an x86 CR3 root
   * above MAXPHYADDR; `rootAt` points at where the root came from. */
  checkCpu?(cpu: Cpu, g: Geometry, at: string, rootAt: string): void;
  /** The arch's own instructions: root writes and TLB maintenance. */
  readonly ops: Readonly<Record<string, MachineOp>>;
}
