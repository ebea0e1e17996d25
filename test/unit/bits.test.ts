import { describe, expect, it } from 'vitest';
import { bit, genmask, hex64, isSet, MASK64, not64, shl64, u64 } from '../../src/bits/u64.ts';

describe('u64 helpers', () => {
  it('bit and genmask match their definitions', () => {
    expect(bit(0)).toBe(1n);
    expect(bit(63)).toBe(0x8000000000000000n);
    expect(genmask(51, 12)).toBe(0x000ffffffffff000n);
    expect(genmask(63, 0)).toBe(MASK64);
    expect(genmask(5, 5)).toBe(bit(5));
  });
  it('not64 stays within 64 bits', () => {
    expect(not64(0n)).toBe(MASK64);
    expect(not64(MASK64)).toBe(0n);
    expect(not64(0x60n)).toBe(0xffffffffffffff9fn);
  });
  it('shl64 drops bits past 63 like a C unsigned long shift', () => {
    expect(shl64(3n, 63)).toBe(0x8000000000000000n);
    expect(shl64(0xffffffffffffffffn, 12)).toBe(0xfffffffffffff000n);
    expect(u64(1n << 64n)).toBe(0n);
  });
  it('isSet tests any bit of the mask', () => {
    expect(isSet(0x41n, 0x1n)).toBe(true);
    expect(isSet(0x40n, 0x81n)).toBe(false);
  });
  it('hex64 is lowercase and 16 digits wide', () => {
    expect(hex64(0x8000000000000027n)).toBe('0x8000000000000027');
    expect(hex64(0xabn)).toBe('0x00000000000000ab');
  });
});
