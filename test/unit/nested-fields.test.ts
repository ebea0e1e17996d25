// The fields of a page-table entry nested inside a structured result: an access's hardware update, a
// changed entry, a walk callback's entry, folio_walk_start's entry. Where the result says which level
// the entry is, a mismatch there names the bits that differ, as for an entry-valued result.

import { Parser } from 'tap-parser';
import { describe, expect, it } from 'vitest';
import {
  execute,
  loadVectors,
  referenceImplementation,
  renderHtml,
  renderJson,
  renderJunit,
  renderPretty,
  renderTap,
  PLAIN,
  type Implementation,
  type Json,
  type VectorObservation,
} from '../../runners/api.ts';
import { hugetlbLevel } from '../../runners/arch.ts';
import { firstDifference, judge, nestedEntryLevel } from '../../runners/compare.ts';
import { formatMismatch } from '../../runners/reporters/pretty.ts';
import type { LoadedVector } from '../../runners/vectors/files.ts';
import { loadedVector, tmp, vectorFile, writeJson } from './helpers.ts';

/** riscv64/mmu/ad/sv39/adue_store_sets_a_and_d: Svadu sets A and D of the leaf on a store. */
const storeSetsD = {
  id: 'riscv64/mmu/nested/store-sets-d',
  description: 'ADUE=1: a store with A=D=0 sets A and D',
  setup: {
    memory: { base: '0x0000000080000000', size: '0x0000000080000000' },
    tables: '0x0000000088000000',
    map: [
      {
        va: '0x000000114ce89000',
        pa: '0x000000009abcd000',
        size: '4K',
        fields: { R: 1, W: 1, U: 1 },
      },
    ],
    cpus: [{ features: { ADUE: true } }],
  },
  steps: [
    {
      op: 'access',
      args: { va: '0x000000114ce89018', access: 'store', priv: 'user' },
      expect: {
        result: {
          translated: { pa: '0x000000009abcd018', level: 'pte' },
          updates: [{ pa: '0x0000000088002448', value: '0x0000000026af34d7' }],
        },
      },
    },
  ],
};

const clearBit7 = (v: string) => '0x' + (BigInt(v) & ~(1n << 7n)).toString(16).padStart(16, '0');

/** The reference engine, except that the hardware update of an access leaves D (bit 7) clear. */
function withoutDirty(): Implementation {
  const ref = referenceImplementation();
  const clear = (o: VectorObservation): VectorObservation => {
    if (o.kind !== 'observed') return o;
    const steps = o.steps.map((s) => {
      if (s.kind !== 'result') return s;
      const r = s.result as { updates?: { pa: string; value: string }[] };
      if (!r || !Array.isArray(r.updates)) return s;
      const updates = r.updates.map((u) => ({ ...u, value: clearBit7(u.value) }));
      return { kind: 'result' as const, result: { ...r, updates } as Json };
    });
    return { kind: 'observed', steps };
  };
  return {
    name: 'no-dirty',
    choices: ref.choices,
    run: (vs, answered) => ref.run(vs, (i, o) => answered(i, clear(o))),
    close: () => ref.close(),
  };
}

describe('a hardware A/D update that differs (riscv64, D cleared)', async () => {
  const dir = tmp();
  writeJson(
    dir,
    'nested.json',
    vectorFile([storeSetsD], {
      family: 'mmu',
      refs: ['riscv-priv Svadu'],
      defaults: { arch: 'riscv64', mode: 'sv39' },
    }),
  );
  const loaded = loadVectors([dir]);
  const impl = withoutDirty();
  const report = await execute(impl, loaded);
  await impl.close();

  it('is a mismatch with the fields of the leaf at the translated level', () => {
    expect(loaded.problems).toEqual([]);
    const [r] = report.results;
    expect(r?.verdict).toBe('fail');
    expect(r?.mismatches?.[0]).toMatchObject({
      level: 'pte',
      fields: [{ name: 'D', bits: [7, 7], expected: '0x1', actual: '0x0' }],
    });
  });

  it('pretty, JUnit and TAP name the bit under the place it differs', async () => {
    const pretty = renderPretty(report, PLAIN);
    expect(pretty).toContain(
      '    first difference at /updates/0/value: expected "0x0000000026af34d7", got "0x0000000026af3457"\n    bit 7 D: expected 1, got 0\n',
    );
    expect(renderJunit(report)).toContain('bit 7 D: expected 1, got 0');
    const tap = renderTap(report);
    expect(tap).toContain('bit 7 D: expected 1, got 0');
    const diags: unknown[] = [];
    const p = new Parser();
    p.on('assert', (a: { diag?: unknown }) => diags.push(a.diag));
    p.end(tap);
    expect(diags[0]).toMatchObject({ detail: expect.stringContaining('bit 7 D') as unknown });
  });

  it('JSON carries the fields and HTML draws the entry', () => {
    const json = JSON.parse(renderJson(report)) as { results: { mismatches: unknown[] }[] };
    expect(json.results[0]?.mismatches[0]).toMatchObject({ level: 'pte', fields: [{ name: 'D' }] });
    const html = renderHtml(report);
    expect(html).toContain('The pte entry at <code>/updates/0/value</code>');
    expect(html).toContain('<table class="bits"><caption>pte entry (level 0), format <b>leaf</b>');
    expect(html).toContain('<table class="fieldlist">');
    expect(html).toMatch(/<td class="mark" data-bit="7">≠<\/td>/);
  });
});

const vec = (steps: unknown[], arch: string, mode: string): LoadedVector =>
  loadedVector(steps, arch, mode, { family: 'walk' });
/** The mismatch of one step whose result is `expected`, answered `actual`. */
function mismatch(op: string, expected: Json, actual: Json, arch = 'x86_64', mode = '4level') {
  const j = judge(
    vec([{ op, args: {}, expect: { result: expected } }], arch, mode),
    { kind: 'observed', steps: [{ kind: 'result', result: actual }] },
    {},
  );
  return j.mismatches?.[0];
}
const change = (level: string, old: string, value: string) => ({
  tree: 0,
  level,
  addr: '0x0000000000400000',
  old,
  new: value,
});
const walkResult = (events: Json[], changes: Json[] = []) => ({ ret: 0, events, changes });

describe('the level of a nested entry comes from the result', () => {
  it('a changed entry: its level, leaf or table format by the expected value', () => {
    const leaf = mismatch(
      'walk_page_range',
      walkResult([], [change('pmd', '0x0000000000000000', '0x00000000400000e7')]),
      walkResult([], [change('pmd', '0x0000000000000000', '0x00000000400002e7')]),
    );
    expect(leaf).toMatchObject({ level: 'pmd', fields: [{ name: 'SPECIAL', bits: [9, 9] }] });
    const table = mismatch(
      'mprotect',
      { ...walkResult([], [change('pmd', '0x0000000001234067', '0x0000000000000000')]), vmas: [] },
      { ...walkResult([], [change('pmd', '0x0000000001234267', '0x0000000000000000')]), vmas: [] },
    );
    expect(table).toMatchObject({ level: 'pmd', fields: [{ name: 'IGN_11_9', bits: [11, 9] }] });
  });

  it('a changed entry of an access a step woke', () => {
    const woken = (v: string) => ({
      ret: 0,
      events: [],
      changes: [],
      woken: [
        {
          cpu: 0,
          va: '0x0000000000400000',
          result: {
            outcome: { translated: { pa: '0x0000000040000000', level: 'pte' } },
            events: [],
            changes: [change('pte', '0x0000000000000000', v)],
          },
        },
      ],
    });
    expect(
      mismatch('uffdio_writeprotect', woken('0x0000000040000067'), woken('0x0000000040000027')),
    ).toMatchObject({ level: 'pte', fields: [{ name: 'D', bits: [6, 6] }] });
  });

  it('a walk callback: p?d_entry and pte_entry by name, hugetlb_entry by its hmask', () => {
    const event = (e: string, value: string, hmask?: string) => ({
      event: e,
      addr: '0x0000000000400000',
      next: '0x0000000000401000',
      ...(hmask ? { hmask } : {}),
      value,
    });
    expect(
      mismatch(
        'walk_page_range',
        walkResult([event('pte_entry', '0x0000000040000067')]),
        walkResult([event('pte_entry', '0x0000000040000027')]),
      ),
    ).toMatchObject({ level: 'pte', fields: [{ name: 'D' }] });
    // arm64 4K: a 64K hugetlb page is a contiguous run of PTEs (Contiguous, bit 52).
    const cont = (v: string) =>
      walkResult([event('hugetlb_entry', v, '0xffffffffffff0000')]) as Json;
    expect(
      mismatch(
        'walk_page_range',
        cont('0x0070000050000f43'),
        cont('0x0060000050000f43'),
        'arm64',
        '4k-48',
      ),
    ).toMatchObject({ level: 'pte', fields: [{ name: 'Contiguous', bits: [52, 52] }] });
    // A table the walk allocated is `table`, no value to decode.
    expect(
      mismatch(
        'walk_page_range',
        walkResult([event('pmd_entry', 'table')]),
        walkResult([event('pmd_entry', '0x0000000001234067')]),
      ),
    ).not.toHaveProperty('fields');
  });

  it('folio_walk_start: the entry fw->level names', () => {
    const fw = (value: string) => ({
      folio: '0x0000000000040000',
      page: '0x0000000000040000',
      level: 'FW_LEVEL_PMD',
      value,
      events: [],
    });
    expect(
      mismatch('folio_walk_start', fw('0x00000000400000e7'), fw('0x00000000400000a7')),
    ).toMatchObject({ level: 'pmd', fields: [{ name: 'D', bits: [6, 6] }] });
  });

  it('an access: arm64 and riscv64 update only the leaf; x86_64 is not determined', () => {
    const fault = (value: string) => ({
      fault: {
        class: 'external-abort',
        level: 'pmd',
        report: { ec: '0x24', fsc: '0x10', wnr: true, far: '0x0000000000400000' },
      },
      updates: [{ pa: '0x0000000040001000', value }],
    });
    expect(
      mismatch(
        'access',
        fault('0x0060000080000401'),
        fault('0x0060000080000001'),
        'arm64',
        '4k-48',
      ),
    ).toMatchObject({ level: 'pmd', fields: [{ name: 'AF', bits: [10, 10] }] });
    // The level still comes from the vector when the implementation cannot observe it.
    const riscv = (value: string) => ({
      translated: { pa: '0x000000009abcd018', level: 'pmd' },
      updates: [{ pa: '0x0000000088001338', value }],
    });
    const hidden = judge(
      vec(
        [{ op: 'access', args: {}, expect: { result: riscv('0x00000000289000d7') } }],
        'riscv64',
        'sv39',
      ),
      { kind: 'observed', steps: [{ kind: 'result', result: riscv('0x0000000028900057') }] },
      {},
      { access: ['/translated/level'] },
    );
    expect(hidden.mismatches?.[0]).toMatchObject({ level: 'pmd', fields: [{ name: 'D' }] });
    // The level it sends for the report only is not where the answer differs.
    expect(formatMismatch(hidden.mismatches![0]!, PLAIN).slice(1, 3)).toEqual([
      '    first difference at /updates/0/value: expected "0x00000000289000d7", got "0x0000000028900057"',
      '    bit 7 D: expected 1, got 0',
    ]);
    expect(firstDifference({ a: {}, b: 1 }, { a: { c: 2 }, b: 3 })?.path).toBe('/b');
    expect(firstDifference({ a: {}, b: 1 }, { a: { c: 2 }, b: 1 })?.path).toBe('/a/c');
    const x86 = (value: string) => ({
      translated: { pa: '0x0000000040000000', level: 'pte' },
      updates: [{ pa: '0x0000000040001000', value }],
    });
    const m = mismatch('access', x86('0x0000000040000067'), x86('0x0000000040000027'));
    expect(m?.fields).toBeUndefined();
    expect(nestedEntryLevel('x86_64', '4level', 'access', x86('0x1'), '/updates/0/value')).toBe(
      undefined,
    );
  });

  it('the level of a hugetlb page by its size', () => {
    const hmask = (size: bigint) => ~(size - 1n) & 0xffffffffffffffffn;
    expect(hugetlbLevel('x86_64', '4level', hmask(0x200000n))).toBe('pmd');
    expect(hugetlbLevel('x86_64', '4level', hmask(0x40000000n))).toBe('pud');
    expect(hugetlbLevel('riscv64', 'sv39', hmask(0x40000000n))).toBe('pgd');
    expect(hugetlbLevel('riscv64', 'sv39', hmask(0x10000n))).toBe('pte');
    expect(hugetlbLevel('arm64', '4k-48', hmask(0x2000000n))).toBe('pmd');
    expect(hugetlbLevel('arm64', '64k-48', hmask(0x200000n))).toBe('pte');
  });
});
