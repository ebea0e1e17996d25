// The engine's helpers use bit constants written from the kernel headers; the arch descriptions
// (vectors/arch/*.json) name the same bits. This proves the two agree, field by field, by the Linux
// macro name each field carries.

import { describe, expect, it } from 'vitest';
import { genmask } from '../../src/bits/u64.ts';
import * as A from '../../src/arch/arm64/bits.ts';
import * as R from '../../src/arch/riscv64/bits.ts';
import * as X from '../../src/arch/x86_64/bits.ts';
import { archDescriptions } from '../../runners/arch.ts';

type Expected = Readonly<Record<string, bigint>>;

const bitsOf = (o: object): Record<string, number> =>
  Object.fromEntries(
    Object.entries(o).filter(([k, v]) => k.startsWith('_PAGE_BIT_') && typeof v === 'number'),
  ) as Record<string, number>;
const masksOf = (o: object, prefix: RegExp): Record<string, bigint> =>
  Object.fromEntries(
    Object.entries(o).filter(([k, v]) => prefix.test(k) && typeof v === 'bigint'),
  ) as Record<string, bigint>;

/** x86: _PAGE_BIT_* are bit numbers; the field starts there (PKEY_BIT0 starts a 4-bit field). */
const x86: Expected = Object.fromEntries(
  Object.entries(bitsOf(X)).map(([k, n]) => [k, 1n << BigInt(n)]),
);
/** arm64: masks, as pgtable-hwdef.h / pgtable-prot.h define them. */
const arm64: Expected = { ...masksOf(A, /^PTE_/), PTE_ADDR_LOW: A.PTE_ADDR_LOW(12) };
/** riscv: masks; the engine names the conditional bits by position. */
const riscv: Expected = {
  ...masksOf(R, /^_PAGE_/),
  _PAGE_SOFT_DIRTY: R.SOFT_DIRTY_BIT,
  _PAGE_UFFD_WP: R.UFFD_WP_BIT,
  _PAGE_SWP_SOFT_DIRTY: R.SWP_SOFT_DIRTY_BIT,
  _PAGE_SWP_UFFD_WP: R.SWP_UFFD_WP_BIT,
};

interface Named {
  readonly where: string;
  readonly mask: bigint;
  readonly lsb: number;
}
function namedFields(arch: string): Map<string, Named[]> {
  const out = new Map<string, Named[]>();
  for (const d of archDescriptions().values()) {
    if (d.arch !== arch) continue;
    for (const l of d.levels)
      for (const f of l.formats)
        for (const x of f.fields) {
          if (!x.linux) continue;
          const list = out.get(x.linux) ?? [];
          list.push({
            where: `${d.mode} ${l.arch} ${f.name} ${x.name}`,
            mask: genmask(x.bits[0], x.bits[1]),
            lsb: x.bits[1],
          });
          out.set(x.linux, list);
        }
  }
  return out;
}

describe.each([
  ['x86_64', x86, 'bit'],
  ['arm64', arm64, 'mask'],
  ['riscv64', riscv, 'mask'],
] as const)('%s bit constants', (arch, engine, how) => {
  const named = namedFields(arch);
  const shared = Object.keys(engine).filter((k) => named.has(k));

  it('the arch descriptions name the engine constants', () => {
    // Constants the descriptions need not show: masks of several fields, internal shift values, and
    // aliases (PTE_WRITE is PTE_DBM, pgtable-prot.h:16; _PAGE_BIT_PROTNONE is _PAGE_BIT_GLOBAL), and
    // values of a field (_PAGE_NOCACHE_SVPBMT and _PAGE_IO_SVPBMT are PBMT 1 and 2).
    const internal = new Set([
      'PTE_WRITE',
      'PTE_TYPE_MASK',
      'PTE_TABLE_BIT',
      'PTE_SHARED',
      'PTE_ADDR_LOW',
      '_PAGE_LEAF',
      '_PAGE_PROT_NONE',
      '_PAGE_MTMASK_SVPBMT',
      '_PAGE_NOCACHE_SVPBMT',
      '_PAGE_IO_SVPBMT',
      '_PAGE_BIT_PSE',
      '_PAGE_BIT_PROTNONE',
      '_PAGE_BIT_PAT',
    ]);
    const missing = Object.keys(engine).filter((k) => !named.has(k) && !internal.has(k));
    expect(missing).toEqual([]);
    expect(shared.length).toBeGreaterThan(10);
  });

  it.each(shared)('%s agrees', (name) => {
    const want = engine[name] ?? 0n;
    for (const f of named.get(name) ?? []) {
      if (how === 'bit') expect(1n << BigInt(f.lsb), f.where).toBe(want);
      else expect(f.mask, f.where).toBe(want);
    }
  });
});
