// 64-bit virtual addresses as two 32-bit halves (numbers), for the walks (DESIGN.md: hot paths do not
// compute in bigint).

const TWO32 = 0x1_0000_0000;

/** VA bits [shift+width-1 : shift] as a number. */
export function vaIndex(hi: number, lo: number, shift: number, mask: number): number {
  if (shift >= 32) return (hi >>> (shift - 32)) & mask;
  return ((lo >>> shift) | (shift === 0 ? 0 : hi << (32 - shift))) & mask;
}

/** The offset of the VA inside a leaf of 2^shift bytes, as a number. */
export function vaOffset(hi: number, lo: number, shift: number): number {
  if (shift >= 32) return (hi & (2 ** (shift - 32) - 1)) * TWO32 + (lo >>> 0);
  return (lo & (2 ** shift - 1)) >>> 0;
}

/** Whether VA bits 63..(bits-1) are all equal (the address is canonical for `bits` VA bits). */
export function signExtended(hi: number, bits: number): boolean {
  const top = hi >> (bits - 1 - 32);
  return top === 0 || top === -1;
}

export function splitVa(va: bigint): [hi: number, lo: number] {
  return [Number((va >> 32n) & 0xffffffffn), Number(va & 0xffffffffn)];
}

/** A number PA (< 2^53) from a 64-bit entry's halves masked to an address field. */
export function addrOf(hi: number, lo: number, hiMask: number, loMask: number): number {
  return (hi & hiMask) * TWO32 + ((lo & loMask) >>> 0);
}
