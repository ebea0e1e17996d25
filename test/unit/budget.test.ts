// The work a vector may ask for is bounded: a budget checked as the engine runs, and ACTION_AGAIN
// bounded by the script itself, never by a silent limit of the engine.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VectorInput } from '../../runners/adapter.ts';
import { observe } from '../../runners/adapters/reference.ts';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { configDefaults } from '../../runners/vectors/config.ts';
import { Work, WORK_BUDGET, type WorkKind } from '../../src/machine/work.ts';

describe('the work budget', () => {
  it.each(Object.keys(WORK_BUDGET) as WorkKind[])('allows exactly the budget of %s', (kind) => {
    const w = new Work();
    w.charge(kind, WORK_BUDGET[kind] - 1);
    w.charge(kind);
    expect(() => w.charge(kind)).toThrow(
      new RegExp(`^exceeds the work budget of a vector: more than ${WORK_BUDGET[kind]} `),
    );
  });
});

const PMD = '0x0000000000400000';
/** x86_64 4-level: one 4K mapping at 0x401000, so the PMD of 0x400000 points to a PTE table. */
function walk(ops: Record<string, unknown>): VectorInput {
  return {
    id: 'x86_64/walk/t/again',
    family: 'walk',
    arch: 'x86_64',
    mode: '4level',
    config: configDefaults(),
    setup: {
      memory: { base: '0x0000000040000000', size: '0x0000000080000000' },
      map: [
        {
          va: '0x0000000000401000',
          pa: '0x0000000050000000',
          size: '4K',
          fields: { RW: 1, US: 1 },
        },
      ],
      mms: [
        {
          name: 'mm',
          vmas: [
            {
              name: 'a',
              start: PMD,
              end: '0x0000000000600000',
              flags: ['VM_READ', 'VM_WRITE'],
            },
          ],
        },
      ],
    },
    steps: [
      {
        op: 'walk_page_range',
        args: { mm: 'mm', start: PMD, end: '0x0000000000600000', ops } as never,
      },
    ],
  };
}

describe('ACTION_AGAIN', () => {
  // mm/pagewalk.c:97 walk_pmd_range: pmd_entry setting ACTION_AGAIN goes back to `again`, which
  // calls pmd_entry for the same PMD once more. First matching rule wins; used-up rules no longer
  // match; after both are used up the default (ACTION_SUBTREE) ends the repeats.
  it('repeats as often as the script says, beyond any fixed limit', () => {
    const o = observe(
      walk({
        pmd_entry: {
          rules: [
            { action: 'ACTION_AGAIN', times: 40 },
            { when: { addr: PMD }, action: 'ACTION_AGAIN', times: 40 },
          ],
        },
      }),
    );
    expect(o.kind).toBe('observed');
    const step = o.kind === 'observed' ? o.steps[0] : undefined;
    expect(step?.kind).toBe('result');
    const r = (
      step as unknown as { result: { ret: number; events: { event: string; addr: string }[] } }
    ).result;
    expect(r.ret).toBe(0);
    expect(r.events).toHaveLength(81);
    expect(r.events.every((e) => e.event === 'pmd_entry' && e.addr === PMD)).toBe(true);
  });

  it('that would never end is bad input naming the step, not a skip', () => {
    // The schema refuses a default ACTION_AGAIN; the engine still must not loop on one.
    const o = observe(walk({ pmd_entry: { action: 'ACTION_AGAIN' } }));
    expect(o).toEqual({
      kind: 'error',
      reason:
        'invalid vector at /steps/0: the walk would repeat ACTION_AGAIN at pmd_entry forever: more than 2 repeats of one entry, the most its callbacks can ask for (the kernel would never return)',
    });
  });
});

describe('pagemap reads', () => {
  it('are charged a visit per page: 300 reads of 4096 pages are over the budget, 200 are not', () => {
    const file = JSON.parse(
      readFileSync(join(PACKAGE_ROOT, 'vectors/uffd/riscv64/pagemap.json'), 'utf8'),
    ) as { defaults: { mode: string }; vectors: (VectorInput & { mode?: string })[] };
    const v = file.vectors[0]!;
    const reads = (n: number): VectorInput => ({
      ...v,
      family: 'uffd',
      arch: 'riscv64',
      mode: v.mode ?? file.defaults.mode,
      config: configDefaults(),
      steps: Array.from({ length: n }, () => ({
        op: 'pagemap',
        args: { mm: 'mm', start: '0x0000000010000000', count: 4096 } as never,
      })),
    });
    expect(observe(reads(200)).kind).toBe('observed');
    expect(observe(reads(300))).toEqual({
      kind: 'error',
      reason: expect.stringMatching(
        /^invalid vector at \/steps\/2[0-9]{2}: exceeds the work budget of a vector: more than 1000000 page-table entries visited/,
      ),
    });
  });
});
