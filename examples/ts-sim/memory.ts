// Physical memory of the simulated machine: RAM [base, base+size), sparse, zero until written, read
// and written as little-endian 64-bit words at 8-byte aligned addresses.

import type { Json } from 'ptvec';

/** Input the simulator cannot run (a malformed setup or step): the vector's answer is an error. */
export class SimError extends Error {}

const HEX = /^0x[0-9a-fA-F]{1,16}$/;

/** A Hex64 (common.schema.json): "0x" and 16 lowercase hex digits. */
export const hex64 = (v: bigint): string => `0x${v.toString(16).padStart(16, '0')}`;

export function parseHex(v: Json | undefined, what: string): bigint {
  if (typeof v !== 'string' || !HEX.test(v)) throw new SimError(`${what} must be a hex string`);
  return BigInt(v);
}

export class Memory {
  private readonly words = new Map<bigint, bigint>();
  constructor(
    readonly base: bigint,
    readonly size: bigint,
  ) {}

  contains(pa: bigint, len: bigint): boolean {
    return pa >= this.base && pa - this.base < this.size && len <= this.size - (pa - this.base);
  }

  read64(pa: bigint): bigint {
    return this.words.get(pa) ?? 0n;
  }

  write64(pa: bigint, v: bigint): void {
    this.words.set(pa, BigInt.asUintN(64, v));
  }

  /** Step 9's atomic compare with the word in memory and store. */
  compareAndSwap(pa: bigint, expected: bigint, value: bigint): boolean {
    if (this.read64(pa) !== expected) return false;
    this.write64(pa, value);
    return true;
  }
}
