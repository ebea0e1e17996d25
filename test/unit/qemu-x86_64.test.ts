// The x86_64 QEMU target on real qemu-system-x86_64: a sample of the corpus (not-present, permission,
// reserved-bit and non-canonical faults, A/D updates, stale TLB entries, INVLPG, CR3 switches,
// fetches, WP, NXE, SMEP, SMAP, AC, PGE, 4-level and 5-level paging) must pass, and the same vectors
// with their setup changed must fail, which shows that the observations come from QEMU and not from
// the vectors.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { toInput, type VectorObservation } from '../../runners/adapter.ts';
import { x86_64Target as target } from '../../runners/adapters/qemu/x86_64.ts';
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
  'x86_64/mmu/walk/4level/4k_user_store_sets_d',
  'x86_64/mmu/walk/4level/2m_store_last_byte_sets_d',
  'x86_64/mmu/walk/4level/1g_supervisor_store_sets_d',
  'x86_64/mmu/walk/5level/1g_user_load_offset',
  'x86_64/mmu/walk/5level/4k_kernel_high_half_fetch',
  'x86_64/mmu/walk/5level/root_is_tree1',
  'x86_64/mmu/accessed-dirty/4level/all_a0_load_4k',
  'x86_64/mmu/accessed-dirty/5level/all_a0_store_4k',
  'x86_64/mmu/accessed-dirty/4level/load_keeps_d0',
  'x86_64/mmu/accessed-dirty/4level/wp0_store_ro_sets_d',
  'x86_64/mmu/not-present/4level/p0_pmd_store_user',
  'x86_64/mmu/not-present/5level/p0_p4d_fetch_user',
  'x86_64/mmu/canonical/4level/user_store_bit47_gp',
  'x86_64/mmu/canonical/5level/bit57_only_store',
  'x86_64/mmu/permissions/4level/u_load_leaf_us0',
  'x86_64/mmu/permissions/4level/u_fetch_2m_xd',
  'x86_64/mmu/permissions/4level/s_store_user_rw0_wp0',
  'x86_64/mmu/permissions/4level/s_store_user_smap',
  'x86_64/mmu/permissions/4level/s_fetch_user_smep',
  'x86_64/mmu/permissions/4level/nxe0_u_fetch_user',
  'x86_64/mmu/permissions/5level/s_store_user_smap_ac_rw0_wp1',
  'x86_64/mmu/permissions/5level/u_store_pgd_rw0',
  'x86_64/mmu/reserved/4level/xd_nxe1_not_reserved',
  'x86_64/tlb/invlpg/4level/wp_d1_stale_before_invlpg',
  'x86_64/tlb/invlpg/5level/unmap_after_invlpg',
  'x86_64/tlb/invlpg/4level/wp_d0_cached_store_rewalks_2m',
  'x86_64/tlb/cr3/4level/nopcid_switch_tree',
  'x86_64/tlb/global/4level/global_survives_cr3',
  'x86_64/tlb/fault-flush/4level/rw_increase_spurious_once',
  'x86_64/tlb/next-page/4level/boundary_2m',
];
/** Two CPUs (-smp 2): CPU 1 is started with INIT-SIPI and keeps its own TLB. */
const PASS_SMP2 = [
  'x86_64/tlb/multi-cpu/4level/invlpg_is_local',
  'x86_64/tlb/multi-cpu/4level/wp_shootdown_needed',
  'x86_64/tlb/multi-cpu/5level/per_cpu_roots',
  'x86_64/tlb/multi-cpu/5level/cr3_write_is_local',
];
/** MAXPHYADDR=40: a QEMU started with -cpu max,phys-bits=40 (the target's variant). */
const PASS_M40 = [
  'x86_64/mmu/reserved/4level/maxphy40_bit39_in_table_ok',
  'x86_64/mmu/not-present/4level/p0_pte_beats_reserved',
];
/** INVPCID is #UD on QEMU 7.2 TCG: the step is unsupported, so the vector skips. */
const SKIP = ['x86_64/tlb/invpcid/4level/type0_pcide0'];
/** QEMU's divergences (expected-failures/x86_64.json): they must still fail. */
const EXPECTED_FAILURES = [
  'x86_64/mmu/reserved/4level/misaligned_2m_bit_13',
  'x86_64/tlb/fault-flush/4level/pf_flushes_stale_writable',
];

type Change = (map: MappingJson[]) => void;
/** The vector with its setup changed and its expectations kept: QEMU must now disagree. */
const WRONG: readonly (readonly [string, string, Change])[] = [
  ['x86_64/mmu/walk/4level/4k_user_store_sets_d', 'US cleared', (m) => void (m[0]!.fields.US = 0)],
  [
    'x86_64/mmu/walk/4level/4k_user_store_sets_d',
    'D already set',
    (m) => void (m[0]!.fields.D = 1),
  ],
  ['x86_64/mmu/permissions/4level/u_load_leaf_us0', 'US set', (m) => void (m[0]!.fields.US = 1)],
  ['x86_64/mmu/permissions/4level/u_fetch_2m_xd', 'XD cleared', (m) => void (m[0]!.fields.XD = 0)],
  [
    'x86_64/mmu/walk/5level/1g_user_load_offset',
    'PA moved by 1 GiB',
    (m) => void (m[0]!.pa = movedPa(m[0]!.pa, -0x40000000n)),
  ],
  [
    'x86_64/mmu/walk/4level/2m_store_last_byte_sets_d',
    'PA moved by 2 MiB',
    (m) => void (m[0]!.pa = movedPa(m[0]!.pa, 0x200000n)),
  ],
  [
    'x86_64/mmu/walk/5level/4k_kernel_high_half_fetch',
    'PA moved by 4 KiB',
    (m) => void (m[0]!.pa = movedPa(m[0]!.pa, 0x1000n)),
  ],
  [
    'x86_64/tlb/invlpg/4level/wp_d1_stale_before_invlpg',
    'RW cleared',
    (m) => void (m[0]!.fields.RW = 0),
  ],
];

const missing = qemuMissing(target);

describe.skipIf(missing !== undefined)('the x86_64 QEMU target', () => {
  const { vector, changed } = corpusOf('x86_64');
  const wrong = WRONG.map(([id, what, change]) => changed(id, what, change));
  let observed = new Map<string, VectorObservation>();
  beforeAll(async () => {
    observed = await observeOnQemu(target, [
      ...PASS.map(vector),
      ...SKIP.map(vector),
      ...EXPECTED_FAILURES.map(vector),
      ...wrong,
      ...PASS_SMP2.map(vector),
      ...PASS_M40.map(vector),
    ]);
  }, 60_000);
  const verdict = (v: LoadedVector): string => verdictOf(target, observed, v);

  it.each(PASS)('%s passes', (id) => expect(verdict(vector(id))).toBe('pass'));
  it.each(PASS_SMP2)('%s passes on two CPUs', (id) => expect(verdict(vector(id))).toBe('pass'));
  it.each(PASS_M40)('%s passes with phys-bits=40', (id) => {
    expect(target.variant?.(toInput(vector(id)))).toBe('phys-bits=40');
    expect(verdict(vector(id))).toBe('pass');
  });
  it.each(SKIP)('%s is unsupported (INVPCID is #UD)', (id) =>
    expect(verdict(vector(id))).toBe('skip'),
  );
  it.each(EXPECTED_FAILURES)('%s fails as listed in expected-failures/x86_64.json', (id) => {
    const listed = JSON.parse(
      readFileSync('runners/adapters/qemu/expected-failures/x86_64.json', 'utf8'),
    ) as Record<string, string>;
    expect(listed[id]).toBeDefined();
    expect(verdict(vector(id))).toMatch(/^fail/);
  });
  it.each(wrong.map((v) => [v.id, v] as const))('%s fails', (_id, v) =>
    expect(verdict(v)).toMatch(/^fail/),
  );

  it('reports a reserved-bit #PF without P, as QEMU 7.2 does', () => {
    const o = observed.get('x86_64/mmu/reserved/4level/misaligned_2m_bit_13');
    expect(o?.kind === 'observed' && o.steps[0]).toMatchObject({
      kind: 'result',
      result: { fault: { report: { exception: '#PF', errorCode: '0x0008' } } },
    });
  });

  it('sees a stale TLB entry: a store after R/W was cleared, before INVLPG, succeeds', () => {
    const o = observed.get('x86_64/tlb/invlpg/4level/wp_d1_stale_before_invlpg');
    expect(o?.kind === 'observed' && o.steps[2]).toEqual({
      kind: 'result',
      result: { translated: { pa: '0x0000000050012008', level: 'pte' }, updates: [] },
    });
  });

  it("sees CPU 1's own TLB: its entry survives CPU 0's INVLPG until its own", () => {
    const o = observed.get('x86_64/tlb/multi-cpu/4level/invlpg_is_local');
    const pa = (k: number): unknown =>
      o?.kind === 'observed' && o.steps[k]?.kind === 'result'
        ? (o.steps[k].result as { translated?: { pa: string } }).translated?.pa
        : undefined;
    expect([pa(4), pa(5), pa(7)]).toEqual([
      '0x0000000050034000',
      '0x0000000050012000',
      '0x0000000050034000',
    ]);
  });

  it('covers what QEMU can run, and says why not for the rest', () => {
    const why = (id: string): string | undefined => target.notCovered(toInput(vector(id)));
    expect(why('x86_64/mmu/walk/4level/4k_user_store_sets_d')).toBeUndefined();
    expect(why('x86_64/mmu/gp-control-registers/4level/cr3_m36_bit51_gp')).toMatch(
      /at or above MAXPHYADDR/,
    );
    expect(why('x86_64/mmu/gp-control-registers/4level/cr3_pcide1_bit63_completes')).toMatch(
      /PCIDE/,
    );
    expect(why('x86_64/mmu/walk/5level/index_511_every_level')).toMatch(/top-level index 511/);
    expect(why('x86_64/mmu/maxphyaddr/4level/m36_4k_last_frame_load')).toMatch(
      /not inside the guest RAM/,
    );
    expect(target.cpus(toInput(vector('x86_64/tlb/multi-cpu/4level/invlpg_is_local')))).toBe(2);
  });
});
