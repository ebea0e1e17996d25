// 64-bit values as unsigned bigint, branded by meaning (style-anchors.md "64-bit PTEs in TypeScript").

declare const brand: unique symbol;
export type Branded<T, B extends string> = T & { readonly [brand]: B };

export type U64 = bigint;
export type Pte = Branded<bigint, 'Pte'>;
export type Pmd = Branded<bigint, 'Pmd'>;
export type Pud = Branded<bigint, 'Pud'>;
export type PgProt = Branded<bigint, 'PgProt'>;
/** The arch's swp_entry_t: its .val holds the PTE bits of a non-present entry. */
export type ArchSwpEntry = Branded<bigint, 'ArchSwpEntry'>;
/** The arch-independent swp_entry_t / softleaf_t (include/linux/swapops.h). */
export type Softleaf = Branded<bigint, 'Softleaf'>;

export const MASK64 = (1n << 64n) - 1n;

export function u64(x: bigint): U64 {
  return x & MASK64;
}

/** ~x within 64 bits. */
export function not64(x: bigint): U64 {
  return ~x & MASK64;
}

export function bit(n: number): U64 {
  return 1n << BigInt(n);
}

/** GENMASK(hi, lo): bits hi..lo set. */
export function genmask(hi: number, lo: number): U64 {
  return ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);
}

export function isSet(x: bigint, mask: bigint): boolean {
  return (x & mask) !== 0n;
}

/** C's `(x << n)` on an unsigned long: bits shifted past bit 63 are lost. */
export function shl64(x: bigint, n: number): U64 {
  return (x << BigInt(n)) & MASK64;
}

const ZEROS = '0000000000000000';

export function hex64(x: bigint): string {
  const s = x.toString(16);
  return '0x' + ZEROS.slice(s.length) + s;
}
