// Bad walk input is a format problem at load: the file, the JSON pointer into the step, and what was
// expected; the file's other vectors still load.

import { describe, expect, it } from 'vitest';
import { loadVectors } from '../../runners/load.ts';
import { tmp, vectorFile, writeJson } from './helpers.ts';

const H = (n: number) => '0x' + n.toString(16).padStart(16, '0');
const setup = {
  memory: { base: H(0x40000000), size: H(0x80000000) },
  map: [{ va: H(0x401000), pa: H(0x50000000), size: '4K', fields: { RW: 1, US: 1 } }],
  mms: [
    {
      name: 'mm',
      vmas: [{ name: 'a', start: H(0x400000), end: H(0x402000), flags: ['VM_READ'] }],
    },
  ],
};
const walk = (id: string, args: Record<string, unknown>) => ({
  id,
  description: 'a walk',
  setup,
  steps: [
    {
      op: 'walk_page_range',
      args: { mm: 'mm', start: H(0x400000), end: H(0x402000), ops: { pte_entry: {} }, ...args },
      expect: { result: { ret: 0, events: [], changes: [] } },
    },
  ],
});

function problemOf(bad: unknown) {
  const d = tmp();
  const good = walk('x86_64/walk/t/4level/good', {});
  const f = writeJson(d, 'w.json', vectorFile([good, bad], { family: 'walk' }));
  const r = loadVectors([f]);
  expect(r.vectors.map((v) => v.id)).toEqual(['x86_64/walk/t/4level/good']);
  expect(r.problems).toHaveLength(1);
  expect(r.problems[0]?.file).toMatch(/w\.json$/);
  return r.problems[0]!;
}

describe('bad walk input', () => {
  it('an ACTION_AGAIN rule without a bound', () => {
    const p = problemOf(
      walk('x86_64/walk/t/4level/again', {
        ops: { pmd_entry: { rules: [{ action: 'ACTION_AGAIN' }] }, pte_entry: {} },
      }),
    );
    expect(p.pointer).toBe('/vectors/1/steps/0/args/ops/pmd_entry/rules/0/action');
    expect(p.message).toMatch(/ACTION_AGAIN needs a bound/);
  });

  it('a callback given what it does not have (an action on pte_entry, a return on post_vma)', () => {
    const p = problemOf(
      walk('x86_64/walk/t/4level/action', { ops: { pte_entry: { action: 'ACTION_CONTINUE' } } }),
    );
    expect(p.pointer).toBe('/vectors/1/steps/0/args/ops/pte_entry/action');
    expect(p.message).toMatch(/pte_entry has no walk->action/);
    const q = problemOf(walk('x86_64/walk/t/4level/post', { ops: { post_vma: { return: 1 } } }));
    expect(q.pointer).toBe('/vectors/1/steps/0/args/ops/post_vma/return');
  });

  it('a callback that is not in struct mm_walk_ops (schema)', () => {
    const p = problemOf(walk('x86_64/walk/t/4level/name', { ops: { p5d_entry: {} } }));
    expect(p.pointer).toBe('/vectors/1/steps/0/args/ops');
  });

  it('an address in no VMA where a VMA is required, and an unknown VMA or mm name', () => {
    const step = (args: Record<string, unknown>) => ({
      ...walk('x86_64/walk/t/4level/vma', {}),
      steps: [
        {
          op: 'walk_page_vma',
          args: { ops: { pte_entry: {} }, ...args },
          expect: { result: { ret: 0, events: [], changes: [] } },
        },
      ],
    });
    const p = problemOf(step({ vma: H(0x900000) }));
    expect(p.pointer).toBe('/vectors/1/steps/0/args/vma');
    expect(p.message).toMatch(/in no VMA/);
    expect(problemOf(step({ vma: 'nope' })).message).toMatch(/no VMA is "nope"/);
    expect(problemOf(walk('x86_64/walk/t/4level/mm', { mm: 'other' })).pointer).toBe(
      '/vectors/1/steps/0/args/mm',
    );
  });

  it('a rule naming an unknown VMA, and overlapping VMAs', () => {
    const p = problemOf(
      walk('x86_64/walk/t/4level/rule', {
        ops: { pte_entry: { rules: [{ when: { vma: 'zz' }, return: 1 }] } },
      }),
    );
    expect(p.pointer).toBe('/vectors/1/steps/0/args/ops/pte_entry/rules/0/when/vma');
    const overlap = {
      ...walk('x86_64/walk/t/4level/overlap', {}),
      setup: {
        ...setup,
        mms: [
          {
            name: 'mm',
            vmas: [
              { name: 'a', start: H(0x400000), end: H(0x402000), flags: [] },
              { name: 'b', start: H(0x401000), end: H(0x403000), flags: [] },
            ],
          },
        ],
      },
    };
    expect(problemOf(overlap).pointer).toBe('/vectors/1/setup/mms/0/vmas/1/start');
  });

  it('a walk without mm state in the setup', () => {
    const { setup: _setup, ...bare } = walk('x86_64/walk/t/4level/bare', {});
    const p = problemOf(bare);
    expect(p.pointer).toBe('/vectors/1/steps/0/args');
    expect(p.message).toMatch(/needs Linux mm state/);
  });
});

describe('hugetlb sizes: those Linux v6.19 registers for the arch and granule', () => {
  const huge = (id: string, mode: string, size: string, extra: Record<string, unknown> = {}) => ({
    id,
    description: 'a hugetlb VMA',
    arch: id.split('/')[0],
    mode,
    setup: {
      memory: { base: H(0x40000000), size: H(0x80000000) },
      mms: [
        {
          name: 'mm',
          vmas: [
            {
              name: 'h',
              start: H(0x40000000),
              end: H(0x40400000),
              flags: ['VM_READ', 'VM_HUGETLB'],
              hugetlb: size,
            },
          ],
        },
      ],
      ...extra,
    },
    steps: [
      {
        op: 'walk_page_vma',
        args: { vma: 'h', ops: { hugetlb_entry: {} } },
        expect: { result: { ret: 0, events: [], changes: [] } },
      },
    ],
  });
  const pointer = '/vectors/1/setup/mms/0/vmas/0/hugetlb';

  it('arm64: a size of another granule (16G on 4K, 64K on 16K), and x86 64K', () => {
    const p = problemOf(huge('arm64/walk/t/4k-48/cont-pmd-of-64k', '4k-48', '16G'));
    expect(p.pointer).toBe(pointer);
    expect(p.message).toMatch(/a size the kernel registers here \(64K, 2M, 32M, 1G\)/);
    const q = problemOf(huge('arm64/walk/t/16k-47/cont-pte-of-4k', '16k-47', '64K'));
    expect(q.pointer).toBe(pointer);
    expect(q.message).toMatch(/\(2M, 32M, 1G\)/);
    const r = problemOf(huge('x86_64/walk/t/4level/napot', '4level', '64K'));
    expect(r.pointer).toBe(pointer);
    expect(r.message).toMatch(/\(2M, 1G\)/);
  });

  it('arm64: 1G is a PUD only on 4K (pud_sect_supported); 64K granule 512M and 16G', () => {
    const p = problemOf(huge('arm64/walk/t/64k-48/pud', '64k-48', '1G'));
    expect(p.message).toMatch(/\(2M, 512M, 16G\)/);
  });

  it('riscv64: 64K (Svnapot) only when every CPU has Svnapot', () => {
    const p = problemOf(huge('riscv64/walk/t/sv39/no-svnapot', 'sv39', '64K'));
    expect(p.pointer).toBe(pointer);
    expect(p.message).toMatch(/\(2M, 1G\)/);
    const both = [{ features: { Svnapot: true } }, { features: { Svnapot: false } }];
    expect(
      problemOf(huge('riscv64/walk/t/sv39/one-hart', 'sv39', '64K', { cpus: both })).pointer,
    ).toBe(pointer);
    const d = tmp();
    const ok = huge('riscv64/walk/t/sv48/svnapot', 'sv48', '64K', {
      cpus: [{ features: { Svnapot: true } }, { features: { Svnapot: true } }],
    });
    const f = writeJson(d, 'w.json', vectorFile([ok], { family: 'walk' }));
    expect(loadVectors([f]).problems).toEqual([]);
  });
});
