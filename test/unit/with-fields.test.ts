// withFields (src/layout/layout.ts), which the radix builder uses for a mapping's `fields` and a
// table entry's, computes in 32-bit halves. It must equal the definition in bigint, field by field:
// (value & ~GENMASK(msb, lsb)) | (stored << lsb), stored inverted where the field is. Checked for every
// field of every format of every level of every mode, with values at the edges and at random, so the
// fields that cross bit 32 or are wider than 52 bits (which no vector sets) are covered too.

import { describe, expect, it } from 'vitest';
import { ARCH_DESCRIPTIONS } from '../../src/index.ts';
import { withFields } from '../../src/layout/layout.ts';
import type { FieldDesc } from '../../src/layout/types.ts';

const MASK64 = (1n << 64n) - 1n;

/** A deterministic 64-bit generator (xorshift64*), so that a failure repeats. */
function random64(seed: bigint): () => bigint {
  let x = seed;
  return () => {
    x ^= x >> 12n;
    x ^= (x << 25n) & MASK64;
    x ^= x >> 27n;
    return (x * 0x2545f4914f6cdd1dn) & MASK64;
  };
}

function byDefinition(value: bigint, fields: readonly [FieldDesc, bigint][]): bigint {
  let out = value;
  for (const [f, v] of fields) {
    const max = (1n << BigInt(f.msb - f.lsb + 1)) - 1n;
    const mask = max << BigInt(f.lsb);
    const stored = f.inverted ? ~v & max : v;
    out = (out & ~mask & MASK64) | (stored << BigInt(f.lsb));
  }
  return out;
}

describe('withFields', () => {
  const next = random64(0x9e3779b97f4a7c15n);
  const cases = Object.values(ARCH_DESCRIPTIONS).flatMap((d) =>
    d!.levels.flatMap((lv) =>
      lv.formats.map((fmt) => ({ name: `${d!.arch} ${d!.mode} ${lv.linux} ${fmt.name}`, lv, fmt })),
    ),
  );

  it('covers fields that cross bit 32, lie above it and are wider than 52 bits', () => {
    const fields = cases.flatMap((c) => c.fmt.fields);
    expect(fields.some((f) => f.lsb < 32 && f.msb >= 32)).toBe(true);
    expect(fields.some((f) => f.lsb >= 32)).toBe(true);
    expect(fields.some((f) => f.msb - f.lsb + 1 > 52)).toBe(true);
    expect(fields.some((f) => f.inverted)).toBe(true);
  });

  it.each(cases)('sets each field as the bigint definition does: $name', ({ lv, fmt }) => {
    // The first field of a name is the one a name sets.
    const first = new Map<string, FieldDesc>();
    for (const f of fmt.fields) if (!first.has(f.name)) first.set(f.name, f);
    for (const f of first.values()) {
      const max = (1n << BigInt(f.msb - f.lsb + 1)) - 1n;
      for (const v of [0n, 1n, max, max >> 1n, next() & max, next() & max]) {
        for (const base of [0n, MASK64, next()]) {
          const got = withFields(lv, fmt.name, base, new Map([[f.name, v]]), '');
          expect(got, `${f.name}=${v.toString(16)} on ${base.toString(16)}`).toBe(
            byDefinition(base, [[f, v]]),
          );
        }
      }
    }
    // All fields at once, random values.
    const all = [...first.values()].map((f): [FieldDesc, bigint] => [
      f,
      next() & ((1n << BigInt(f.msb - f.lsb + 1)) - 1n),
    ]);
    const base = next();
    expect(withFields(lv, fmt.name, base, new Map(all.map(([f, v]) => [f.name, v])), '')).toBe(
      byDefinition(base, all),
    );
  });
});
