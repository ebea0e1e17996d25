// What the QEMU implementation needs from each architecture: how to start its QEMU, where the
// guest's RAM is, which vectors it can run, and how a vector becomes harness operations (encode) and
// the harness's output becomes observations (decode). One file per arch implements it; the pool
// (index.ts) and the launcher (launch.ts) are shared.

import type { VectorInput, VectorObservation } from '../../adapter.ts';

export type QemuArch = 'x86_64' | 'arm64' | 'riscv64';

/** Guest RAM and where each piece of it lies in the memory-backend file. */
export interface RamSegment {
  readonly pa: bigint;
  readonly size: bigint;
  readonly fileOffset: bigint;
}

export interface Layout {
  readonly ram: readonly RamSegment[];
  /** Where a vector's `setup.memory` must lie, [lo, hi): guest RAM the harness does not use. */
  readonly vectors: { readonly lo: bigint; readonly hi: bigint };
  /** The input blob, [pa, pa+bytes). */
  readonly blob: { readonly pa: bigint; readonly bytes: number };
  /** The harness's output, [pa, pa+bytes). */
  readonly result: { readonly pa: bigint; readonly bytes: number };
}

/** The 64-bit words of one vector's operations. */
export class BlobWriter {
  readonly words: bigint[] = [];
  u64(...xs: readonly (bigint | number)[]): this {
    for (const x of xs) this.words.push(BigInt.asUintN(64, BigInt(x)));
    return this;
  }
}

export type Encoded<S> =
  { readonly ok: true; readonly state: S } | { readonly ok: false; readonly unsupported: string };

export interface QemuTarget<S = unknown> {
  readonly arch: QemuArch;
  /** The QEMU binary, e.g. qemu-system-riscv64. */
  readonly binary: string;
  /** The harness's file name under the build directory, e.g. riscv64.elf. */
  readonly harness: string;
  readonly layout: Layout;
  /** The most CPUs the harness drives. */
  readonly maxCpus: number;
  /**
   * The QEMU configuration a vector needs beyond the default, as a name (a CPU property that only the
   * command line sets, e.g. riscv `svnapot=on`): vectors of one variant share a process.
   */
  variant?(v: VectorInput): string | undefined;
  /** QEMU's arguments for a harness file, a memory-backend file, a CPU count and a variant. */
  args(o: {
    readonly harness: string;
    readonly ram: string;
    readonly cpus: number;
    readonly variant?: string | undefined;
  }): string[];
  /** The harness's exit code (harness.h EXIT_*) from QEMU's exit status, as the exit device maps it. */
  harnessExit(status: number): number;
  /** Implementation choices the architecture leaves open, as QEMU makes them. */
  readonly choices: Readonly<Record<string, string>>;
  /**
   * Result fields the hardware does not report, by op, as JSON pointers into the step's result
   * (e.g. access: /fault/class): the comparer leaves them out of both sides.
   */
  readonly unobserved: Readonly<Record<string, readonly string[]>>;
  /** Why this QEMU cannot run the vector at all (it is skipped with the reason), if so. */
  notCovered(v: VectorInput): string | undefined;
  /** How many CPUs the vector needs. */
  cpus(v: VectorInput): number;
  /** The vector's operations, appended to `w`; or why a step cannot be asked of QEMU. */
  encode(v: VectorInput, w: BlobWriter): Encoded<S>;
  /** The vector's observation from the words the harness wrote for it. */
  decode(v: VectorInput, state: S, out: BigUint64Array): VectorObservation;
}
