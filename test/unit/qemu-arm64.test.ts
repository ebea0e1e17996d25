// The arm64 QEMU target on real qemu-system-aarch64: a sample of the corpus (faults at every level,
// external aborts, AF and DBM updates, PAN, WXN, PS, stale TLB entries, TLBIs, ASIDs, fetches from
// EL0 and EL1, two CPUs, TTBR1_EL1 roots) must pass, a known QEMU divergence must fail, and the same vectors with their
// setup changed must fail, which shows that the observations come from QEMU and not from the vectors.

import { beforeAll, describe, expect, it } from 'vitest';
import { toInput, type VectorObservation } from '../../runners/adapter.ts';
import { arm64Target as target } from '../../runners/adapters/qemu/arm64.ts';
import type { LoadedVector } from '../../runners/vectors/files.ts';
import {
  corpusOf,
  movedPa,
  observeOnQemu,
  qemuMissing,
  verdictOf,
  type MappingJson,
} from './qemu-sample.ts';

const PASS = [
  'arm64/mmu/walk/4k-48/page-load-el1',
  'arm64/mmu/walk/4k-39/block-1g-load',
  'arm64/mmu/walk/4k-48/block-2m-load',
  'arm64/mmu/walk/64k-48/block-512m-user-store',
  'arm64/mmu/walk/4k-48/invalid-zero-pud',
  'arm64/mmu/walk/4k-48/ttbr0-oor-load',
  'arm64/mmu/walk/4k-48/ttbr1-in-range-no-root1',
  'arm64/mmu/walk/4k-48/ttbr1-lowest-va',
  'arm64/mmu/walk/64k-42/ttbr1-in-range-root1',
  'arm64/tlb/asid/16k-47/ttbr1-global-across-asid',
  'arm64/tlb/mutants-tlbi-ttbr/4k-39/ttbr1-write',
  'arm64/mmu/walk/4k-39/addrsize-leaf-ps32',
  'arm64/mmu/walk/4k-48/addrsize-table-pud',
  'arm64/mmu/walk/16k-47/invalid-zero-pmd',
  'arm64/mmu/walk/64k-42/page-load-el1',
  'arm64/mmu/permissions/4k-48/ap01-el0-store',
  'arm64/mmu/permissions/4k-48/ap10-el1-store',
  'arm64/mmu/permissions/4k-48/ap00-el0-load',
  'arm64/mmu/permissions/4k-48/uxn-el0-fetch',
  'arm64/mmu/permissions/4k-48/pxn-el1-fetch',
  'arm64/mmu/permissions/4k-48/execonly-el0',
  'arm64/mmu/permissions/4k-48/pan-ap01-el1-load',
  'arm64/mmu/permissions/4k-48/pan-toggle',
  'arm64/mmu/permissions/4k-48/wxn-ap00-el1-fetch',
  'arm64/mmu/permissions/4k-48/pgd-aptable01-el0-load',
  'arm64/mmu/access-flag-dirty/4k-48/af0-page-load',
  'arm64/mmu/access-flag-dirty/4k-48/ha-page-load',
  'arm64/mmu/access-flag-dirty/4k-48/ha-page-fetch',
  'arm64/mmu/access-flag-dirty/4k-48/dbm-store-clears-ap2',
  'arm64/mmu/access-flag-dirty/4k-48/dbm-el0-store-clears-ap2',
  'arm64/mmu/access-flag-dirty/4k-48/dbm-hd0',
  'arm64/mmu/access-flag-dirty/16k-47/dbm-store-clears-ap2',
  'arm64/mmu/mutants-external-abort/4k-48/walk-table-outside-memory',
  'arm64/mmu/mutants-external-abort/4k-48/walk-root-outside-memory',
  'arm64/mmu/mutants-external-abort/4k-39/data-outside-memory',
  'arm64/mmu/pc-alignment/4k-48/el1-pc-plus-2',
  'arm64/mmu/pc-alignment/4k-48/el0-pc-plus-1',
  'arm64/tlb/invalidation/4k-48/stale-no-tlbi',
  'arm64/tlb/invalidation/4k-48/stale-vae1',
  'arm64/tlb/invalidation/4k-48/dbm-clean-rewalk',
  'arm64/tlb/invalidation/4k-48/nonleaf-remap-vae1',
  'arm64/tlb/asid/4k-48/asid-switch-back-stale',
  'arm64/tlb/asid/4k-48/new-asid-global-aside1',
  'arm64/tlb/next-page/4k-48/boundary_2m',
  'arm64/tlb/multi-cpu/4k-48/is-vae1is',
  'arm64/tlb/multi-cpu/4k-48/local-vae1',
  'arm64/tlb/multi-cpu/4k-48/remote-unmap-local',
];
/** QEMU 7.2 checks PC alignment after translating the fetch (expected-failures/arm64.json). */
const DIVERGES = ['arm64/mmu/pc-alignment/4k-48/before-permission-fault'];

type Change = (map: MappingJson[]) => void;
/** The vector with its setup changed and its expectations kept: QEMU must now disagree. */
const WRONG: readonly (readonly [string, string, Change])[] = [
  ['arm64/mmu/walk/4k-48/page-load-el1', 'AF cleared', (m) => void (m[0]!.fields.AF = 0)],
  ['arm64/mmu/permissions/4k-48/ap01-el0-store', 'AP[2] set', (m) => void (m[0]!.fields.AP2 = 1)],
  ['arm64/mmu/permissions/4k-48/uxn-el0-fetch', 'UXN cleared', (m) => void (m[0]!.fields.UXN = 0)],
  ['arm64/mmu/access-flag-dirty/4k-48/ha-page-load', 'AF set', (m) => void (m[0]!.fields.AF = 1)],
  [
    'arm64/mmu/access-flag-dirty/4k-48/dbm-store-clears-ap2',
    'DBM cleared',
    (m) => void (m[0]!.fields.DBM = 0),
  ],
  [
    'arm64/mmu/walk/4k-48/block-2m-load',
    'PA moved by 2 MiB',
    (m) => void (m[0]!.pa = movedPa(m[0]!.pa, 0x200000n)),
  ],
  [
    'arm64/mmu/walk/4k-48/ttbr1-lowest-va',
    'TTBR1_EL1 leaf PA moved by 4 KiB',
    (m) => void (m[0]!.pa = movedPa(m[0]!.pa, 0x1000n)),
  ],
  [
    'arm64/tlb/mutants-tlbi-ttbr/4k-39/ttbr1-write',
    'tree 2 leaf AF cleared',
    (m) => void (m[1]!.fields.AF = 0),
  ],
  [
    'arm64/mmu/walk/64k-42/ttbr1-in-range-root1',
    'TTBR1_EL1 leaf PA moved by 64 KiB',
    (m) => void (m[1]!.pa = movedPa(m[1]!.pa, 0x10000n)),
  ],
];

const missing = qemuMissing(target);

describe.skipIf(missing !== undefined)('the arm64 QEMU target', () => {
  const { vector, changed } = corpusOf('arm64');
  const wrong = WRONG.map(([id, what, change]) => changed(id, what, change));
  let observed = new Map<string, VectorObservation>();
  beforeAll(async () => {
    observed = await observeOnQemu(target, [
      ...PASS.map(vector),
      ...DIVERGES.map(vector),
      ...wrong,
    ]);
  }, 60_000);
  const verdict = (v: LoadedVector): string => verdictOf(target, observed, v);
  const steps = (id: string): readonly unknown[] => {
    const o = observed.get(id);
    return o?.kind === 'observed' ? o.steps : [];
  };

  it.each(PASS)('%s passes', (id) => expect(verdict(vector(id))).toBe('pass'));
  it.each(DIVERGES)('%s fails (a listed QEMU divergence)', (id) =>
    expect(verdict(vector(id))).toMatch(/^fail/),
  );
  it.each(wrong.map((v) => [v.id, v] as const))('%s fails', (_id, v) =>
    expect(verdict(v)).toMatch(/^fail/),
  );

  it('sees a stale TLB entry: a store after AP[2] was set, before any TLBI, succeeds', () => {
    expect(steps('arm64/tlb/invalidation/4k-48/stale-no-tlbi')[2]).toEqual({
      kind: 'result',
      result: { translated: { pa: '0x0000000050005abc', level: 'pte' }, updates: [] },
    });
  });

  it("sees CPU 1 keep its stale entry after CPU 0's local TLBI VAE1", () => {
    const s = steps('arm64/tlb/multi-cpu/4k-48/local-vae1');
    expect(s[4]).toMatchObject({ result: { fault: { report: { ec: '0x25', fsc: '0x0f' } } } });
    expect(s[5]).toMatchObject({ result: { translated: { pa: '0x0000000050005abc' } } });
  });

  it('sees the hardware update: AF set by HA, AP[2] cleared by HD', () => {
    expect(steps('arm64/mmu/access-flag-dirty/4k-48/dbm-store-clears-ap2')[0]).toMatchObject({
      result: { updates: [{ pa: '0x0000000048003020', value: '0x0008000050005403' }] },
    });
  });

  it('covers what QEMU can run, and says why not for the rest', () => {
    const why = (id: string): string | undefined => target.notCovered(toInput(vector(id)));
    expect(why('arm64/mmu/walk/4k-48/page-load-el1')).toBeUndefined();
    expect(why('arm64/mmu/ttbr-base-address-size/4k-48/root-above-ps-32')).toMatch(
      /not inside the guest RAM/,
    );
    expect(why('arm64/mmu/walk/4k-48/ttbr1-in-range-root1')).toBeUndefined();
    expect(why('arm64/mmu/walk/16k-47/ttbr1-in-range-root1')).toBeUndefined();
    const inHarnessSlot = changed('arm64/mmu/walk/4k-48/ttbr1-lowest-va', 'in slot 511', (m) => {
      m[0]!.va = '0xffffff8000000000';
    });
    expect(target.notCovered(toInput(inHarnessSlot))).toMatch(/harness maps itself/);
    expect(why('arm64/mmu/permissions/4k-48/pan-execonly-epan-el1-load')).toMatch(/FEAT_PAN3/);
    expect(why('arm64/mmu/mutants-external-abort/4k-39/data-outside-memory-tlb-hit')).toMatch(
      /flash or a device/,
    );
  });
});
