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
