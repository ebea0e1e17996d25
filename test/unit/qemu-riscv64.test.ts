// The riscv64 QEMU target on real qemu-system-riscv64: a sample of the corpus (faults, PMP access
// faults, A/D updates, stale TLB entries, fetches, SUM, MXR, satp and ASIDs, two harts) must pass,
// and the same vectors with their setup changed must fail, which shows that the observations come
// from QEMU and not from the vectors.

import { beforeAll, describe, expect, it } from 'vitest';
import { toInput, type VectorObservation } from '../../runners/adapter.ts';
import { riscv64Target as target } from '../../runners/adapters/qemu/riscv64.ts';
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
  'riscv64/mmu/walk/sv39/ok_4k_user_load',
  'riscv64/mmu/walk/sv48/ok_4k_user_load',
  'riscv64/mmu/walk/sv57/ok_4k_user_load',
  'riscv64/mmu/walk/sv39/ok_2m_offset',
  'riscv64/mmu/walk/sv39/ok_1g_kernel_fetch',
  'riscv64/mmu/walk/sv39/invalid_pmd',
  'riscv64/mmu/walk/sv39/w_without_r_pte',
  'riscv64/mmu/walk/sv39/rsv_bit54_pte',
  'riscv64/mmu/walk/sv39/nonleaf_d_pgd',
  'riscv64/mmu/walk/sv39/pointer_at_pte',
  'riscv64/mmu/permissions/sv39/r_u0_u_load',
  'riscv64/mmu/permissions/sv39/rw_u1_s_load',
  'riscv64/mmu/permissions/sv39/rw_u1_u_store',
  'riscv64/mmu/permissions/sv39/x_u1_u_fetch',
  'riscv64/mmu/permissions/sv39/x_u0_s_fetch',
  'riscv64/mmu/permissions/sv39/r_u1_s_fetch',
  'riscv64/mmu/access-fault/sv39/table_outside_memory_pmd_load',
  'riscv64/mmu/access-fault/sv39/leaf_outside_memory_store',
  'riscv64/mmu/access-fault/sv39/leaf_outside_memory_fetch',
  'riscv64/mmu/ad/sv39/adue_load_sets_a',
  'riscv64/mmu/ad/sv39/adue_store_sets_a_and_d',
  'riscv64/mmu/ad/sv39/adue_fetch_sets_a',
  'riscv64/mmu/ad/sv39/adue_store_ro_no_update',
  'riscv64/mmu/mutants-memory/sv39/frames_4mib_apart',
  'riscv64/tlb/sfence/sv39/wp_none',
  'riscv64/tlb/sfence/sv39/wp_x0_x0',
  'riscv64/tlb/sfence/sv39/remap_none',
  'riscv64/tlb/sfence/sv39/nonleaf_pmd_change_none',
  'riscv64/tlb/sfence/sv39/global_leaf_remap_asid',
  'riscv64/tlb/satp/sv39/asid_switch_does_not_flush',
  'riscv64/tlb/satp/sv39/sum_immediate',
  'riscv64/tlb/satp/sv39/mxr_immediate',
  'riscv64/tlb/next-page/sv39/boundary_2m',
  'riscv64/tlb/ad-cache/sv39/adue_cached_d0_store_rewalks',
  'riscv64/tlb/multi-hart/sv39/wp_fence_hart0_only',
  'riscv64/tlb/multi-hart/sv48/asid_fence_other_hart_asid',
];
/** QEMU 7.2 sets A/D where Svade asks for a fault: the step is unsupported, so the vector skips. */
const SKIP = ['riscv64/mmu/ad/sv39/svade_load_a0', 'riscv64/mmu/ad/sv39/svade_store_d0'];

type Change = (map: MappingJson[]) => void;
/** The vector with its setup changed and its expectations kept: QEMU must now disagree. */
const WRONG: readonly (readonly [string, string, Change])[] = [
  ['riscv64/mmu/walk/sv39/ok_4k_user_load', 'U cleared', (m) => void (m[0]!.fields.U = 0)],
  ['riscv64/mmu/permissions/sv39/r_u0_u_load', 'U set', (m) => void (m[0]!.fields.U = 1)],
  ['riscv64/mmu/permissions/sv39/rw_u1_u_store', 'W cleared', (m) => void (m[0]!.fields.W = 0)],
  ['riscv64/mmu/permissions/sv39/x_u1_u_fetch', 'X cleared', (m) => void (m[0]!.fields.X = 0)],
  ['riscv64/mmu/ad/sv39/adue_load_sets_a', 'A already set', (m) => void (m[0]!.fields.A = 1)],
  [
    'riscv64/mmu/walk/sv39/ok_2m_offset',
    'PA moved by 2 MiB',
    (m) => void (m[0]!.pa = movedPa(m[0]!.pa, 0x200000n)),
  ],
];

const missing = qemuMissing(target);

describe.skipIf(missing !== undefined)('the riscv64 QEMU target', () => {
  const { vector, changed } = corpusOf('riscv64');
  const wrong = WRONG.map(([id, what, change]) => changed(id, what, change));
  let observed = new Map<string, VectorObservation>();
  beforeAll(async () => {
    observed = await observeOnQemu(target, [...PASS.map(vector), ...SKIP.map(vector), ...wrong]);
  }, 60_000);
  const verdict = (v: LoadedVector): string => verdictOf(target, observed, v);

  it.each(PASS)('%s passes', (id) => expect(verdict(vector(id))).toBe('pass'));
  it.each(SKIP)('%s is unsupported (QEMU has no Svade)', (id) =>
    expect(verdict(vector(id))).toBe('skip'),
  );
  it.each(wrong.map((v) => [v.id, v] as const))('%s fails', (_id, v) =>
    expect(verdict(v)).toMatch(/^fail/),
  );

  it('sees a stale TLB entry: a store after W was cleared, before any SFENCE.VMA, succeeds', () => {
    const o = observed.get('riscv64/tlb/sfence/sv39/wp_none');
    expect(o?.kind === 'observed' && o.steps[2]).toEqual({
      kind: 'result',
      result: { translated: { pa: '0x0000000090001000', level: 'pte' }, updates: [] },
    });
  });

  it("sees hart 1 keep its stale entry after hart 0's SFENCE.VMA, and drop it after its own", () => {
    const o = observed.get('riscv64/tlb/multi-hart/sv39/wp_fence_hart0_only');
    const steps = o?.kind === 'observed' ? o.steps : [];
    const fault = { scause: 15, stval: '0x000000114ce89000' };
    expect(steps[4]).toMatchObject({ result: { fault: { report: fault } } });
    expect(steps[5]).toMatchObject({ result: { translated: { pa: '0x0000000090001000' } } });
    expect(steps[7]).toMatchObject({ result: { fault: { report: fault } } });
  });

  it('covers what QEMU can run, and says why not for the rest', () => {
    expect(
      target.notCovered(toInput(vector('riscv64/mmu/walk/sv39/ok_4k_user_load'))),
    ).toBeUndefined();
    expect(
      target.notCovered(toInput(vector('riscv64/mmu/mutants-memory/sv39/tables_at_frame1'))),
    ).toMatch(/not inside the guest RAM/);
    // Svnapot is a CPU property: the vector runs in a QEMU started with it.
    const napot = toInput(vector('riscv64/mmu/napot-pbmt/sv39/napot_64k_ok'));
    expect(target.notCovered(napot)).toBeUndefined();
    expect(target.variant?.(napot)).toBe('svnapot=on');
    expect(
      target.variant?.(toInput(vector('riscv64/mmu/walk/sv39/ok_4k_user_load'))),
    ).toBeUndefined();
  });
});
