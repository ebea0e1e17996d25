import { describe, expect, it } from 'vitest';
import type { Json, VectorObservation } from '../../runners/adapter.ts';
import {
  entryLevel,
  firstDifference,
  jsonEqual,
  judge,
  withoutUnobserved,
} from '../../runners/compare.ts';
import { formatMismatch } from '../../runners/reporters/pretty.ts';
import { resolveConfig } from '../../runners/vectors/config.ts';
import type { LoadedVector } from '../../runners/vectors/files.ts';
import type { Target } from '../../runners/protocol/messages.ts';
import { loadedVector } from './helpers.ts';

const vec = (
  steps: unknown[],
  arch: 'x86_64' | 'arm64' | 'riscv64' = 'x86_64',
  mode: LoadedVector['mode'] = '4level',
): LoadedVector => loadedVector(steps, arch, mode, { pointer: '/vectors/3' });
const observed = (...results: unknown[]): VectorObservation => ({
  kind: 'observed',
  steps: results.map((r) => ({ kind: 'result' as const, result: r as never })),
});

const mkdirty = (expect: unknown) => ({
  op: 'pte_mkdirty',
  args: { pte: '0x0000000000000027' },
  expect,
});

describe('the comparer', () => {
  it('passes an exact match and fails a difference', () => {
    expect(
      judge(vec([mkdirty({ result: '0x0000000000000867' })]), observed('0x0000000000000867'), {})
        .verdict,
    ).toBe('pass');
    const j = judge(
      vec([mkdirty({ result: '0x0000000000000867' })]),
      observed('0x0000000000000827'),
      {},
    );
    expect(j.verdict).toBe('fail');
    expect(j.mismatches?.[0]).toMatchObject({
      pointer: '/vectors/3/steps/0/expect',
      step: 0,
      op: 'pte_mkdirty',
      level: 'pte',
    });
  });

  it('names the differing PTE fields from the arch description', () => {
    const j = judge(
      vec([mkdirty({ result: '0x0000000000000867' })]),
      observed('0x0000000000000827'),
      {},
    );
    expect(j.mismatches?.[0]?.fields).toEqual([
      { name: 'D', bits: [6, 6], expected: '0x1', actual: '0x0' },
    ]);
  });

  it('accepts any alternative of `either`, and shows them all when none matches', () => {
    const e = { either: [{ result: '0x0000000000000001' }, { result: '0x0000000000000002' }] };
    expect(judge(vec([mkdirty(e)]), observed('0x0000000000000002'), {}).verdict).toBe('pass');
    const j = judge(vec([mkdirty(e)]), observed('0x0000000000000003'), {});
    expect(j.verdict).toBe('fail');
    expect(j.mismatches?.[0]?.expected).toEqual({
      either: ['0x0000000000000001', '0x0000000000000002'],
    });
  });

  it('selects the case of a declared choice, and skips when the implementation declares none', () => {
    const e = {
      byChoice: {
        choice: 'adUpdate',
        cases: { svade: { result: true }, svadu: { result: false } },
      },
    };
    const v = vec([{ op: 'pte_young', args: { pte: '0x0000000000000001' }, expect: e }]);
    expect(judge(v, observed(false), { adUpdate: 'svadu' }).verdict).toBe('pass');
    expect(judge(v, observed(false), { adUpdate: 'svade' }).verdict).toBe('fail');
    expect(judge(v, observed(false), {})).toEqual({
      verdict: 'skip',
      reason: 'implementation does not declare the choice "adUpdate"',
    });
  });

  it('reads choices and cases as own members: "constructor" or "__proto__" is no case (a null answer passed)', () => {
    const e = { byChoice: { choice: 'adUpdate', cases: { svade: { result: true } } } };
    const v = vec([{ op: 'pte_young', args: { pte: '0x0000000000000001' }, expect: e }]);
    for (const value of ['constructor', '__proto__', 'toString'])
      expect(judge(v, observed(null), { adUpdate: value })).toEqual({
        verdict: 'skip',
        reason: `no expectation for adUpdate=${value}`,
      });
    const named = { byChoice: { choice: 'constructor', cases: { x: { result: true } } } };
    const w = vec([{ op: 'pte_young', args: { pte: '0x0000000000000001' }, expect: named }]);
    expect(judge(w, observed(null), {}).verdict).toBe('skip');
    // A member only the answer has, named as one every object inherits, is a difference.
    expect(firstDifference({ a: 1 }, { a: 1, constructor: 2 })).toEqual({
      path: '/constructor',
      expected: undefined,
      actual: 2,
    });
  });

  it('skips a vector whose step the implementation does not support, and errors on a short answer', () => {
    const v = vec([mkdirty({ result: '0x0000000000000867' })]);
    expect(
      judge(v, { kind: 'observed', steps: [{ kind: 'unsupported', reason: 'no x86' }] }, {}),
    ).toEqual({ verdict: 'skip', reason: 'no x86' });
    expect(judge(v, { kind: 'observed', steps: [] }, {}).verdict).toBe('error');
    // A wrong answer before the step it cannot do is a failure, not a skip.
    const two = vec([
      mkdirty({ result: '0x0000000000000867' }),
      mkdirty({ result: '0x0000000000000867' }),
    ]);
    const wrongThenUnsupported: VectorObservation = {
      kind: 'observed',
      steps: [
        { kind: 'result', result: '0x0000000000000027' },
        { kind: 'unsupported', reason: 'no x86' },
      ],
    };
    expect(judge(two, wrongThenUnsupported, {}).verdict).toBe('fail');
    expect(judge(v, { kind: 'error', reason: 'crashed' }, {})).toEqual({
      verdict: 'error',
      reason: 'crashed',
    });
  });

  it('checks only steps that have expectations', () => {
    const v = vec([
      { op: 'pte_mkold', name: 'p', args: { pte: '0x0000000000000021' } },
      { op: 'pte_young', args: { pte: { step: 'p' } }, expect: { result: false } },
    ]);
    expect(judge(v, observed('0x0000000000000001', false), {}).verdict).toBe('pass');
    expect(judge(v, observed('0xffffffffffffffff', true), {}).verdict).toBe('fail');
  });

  it('says where a large result first differs', () => {
    const events = Array.from({ length: 20 }, (_, i) => ({ event: 'e', addr: `0x${i}` }));
    const expected = { outcome: 'x', events, changes: [{ new: '0x1' }] };
    const actual = { outcome: 'x', events, changes: [{ new: '0x2' }] };
    expect(firstDifference(expected, actual)).toEqual({
      path: '/changes/0/new',
      expected: '0x1',
      actual: '0x2',
    });
    expect(firstDifference({ a: [1] }, { a: [1, 2] })).toEqual({
      path: '/a/1',
      expected: undefined,
      actual: 2,
    });
    expect(firstDifference({ a: 1 }, { a: 1 })).toBeUndefined();
    const plain = { dim: (s: string) => s } as Parameters<typeof formatMismatch>[1];
    const lines = formatMismatch(
      { pointer: '/vectors/0/steps/0/expect', step: 0, op: 'user_access', expected, actual },
      plain,
    );
    expect(lines).toContain('    first difference at /changes/0/new: expected "0x1", got "0x2"');
    // A result short enough to be shown whole still says where it differs.
    const short = formatMismatch(
      {
        pointer: '/vectors/0/steps/0/expect',
        step: 0,
        op: 'access',
        expected: { translated: { pa: '0x1000', level: 'pmd' }, updates: [] },
        actual: { translated: { pa: '0x1000', level: 'pte' }, updates: [] },
      },
      plain,
    );
    expect(short).toContain('    first difference at /translated/level: expected "pmd", got "pte"');
    // A hex answer not written as 0x and 16 lowercase digits says so, and whether the number agrees.
    const spelt = (expected: Json, actual: Json) =>
      formatMismatch({ pointer: '/p', step: 0, op: 'pte_mkdirty', expected, actual }, plain);
    expect(spelt('0x0000000000000867', '0x867')).toContain(
      '    "0x867" is not written as values are (0x and 16 lowercase hex digits): the number is the same',
    );
    expect(spelt('0x0000000000000867', '0x0000000000000ABC')).toContain(
      '    "0x0000000000000ABC" is not written as values are (0x and 16 lowercase hex digits)',
    );
    expect(spelt({ new: '0x0000000000000001' }, { new: '0x1' })).toContain(
      '    "0x1" is not written as values are (0x and 16 lowercase hex digits): the number is the same',
    );
    expect(spelt('0x0000000000000867', '0x0000000000000868').join('\n')).not.toContain('written');
  });

  it('compares JSON values structurally', () => {
    expect(
      jsonEqual({ format: 'present', fields: { P: 1 } }, { fields: { P: 1 }, format: 'present' }),
    ).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual([1, 2], [1, 2])).toBe(true);
  });

  it('knows which ops return entries', () => {
    expect(entryLevel('pte_mkclean', {})).toBe('pte');
    expect(entryLevel('pmd_wrprotect', {})).toBe('pmd');
    expect(entryLevel('pfn_pud', {})).toBe('pud');
    expect(entryLevel('encode', { level: 'pmd' })).toBe('pmd');
    expect(entryLevel('pte_dirty', {})).toBeUndefined();
    expect(entryLevel('pte_pfn', {})).toBeUndefined();
  });
});

describe('fields an implementation cannot observe', () => {
  const access = (expect: unknown) => ({
    op: 'access',
    args: { va: '0x0000000000001000', access: 'load', priv: 'user' },
    expect,
  });
  const fault = {
    fault: {
      class: 'permission',
      level: 'pte',
      report: { exception: '#PF', errorCode: '0x0005', cr2: '0x0000000000001000' },
    },
    updates: [],
  };
  const hidden = { access: ['/fault/class', '/fault/level', '/translated/level'] };
  const seen = {
    fault: { report: { exception: '#PF', errorCode: '0x0005', cr2: '0x0000000000001000' } },
    updates: [],
  };

  it('are left out of the expectation and the observation alike', () => {
    expect(judge(vec([access({ result: fault })]), observed(seen), {}, hidden).verdict).toBe(
      'pass',
    );
    // Without the declaration the missing members are a difference.
    expect(judge(vec([access({ result: fault })]), observed(seen), {}).verdict).toBe('fail');
  });

  it('leave every other member compared, in each alternative', () => {
    const wrongCode = { ...seen, fault: { report: { ...seen.fault.report, errorCode: '0x0007' } } };
    const j = judge(vec([access({ result: fault })]), observed(wrongCode), {}, hidden);
    expect(j.verdict).toBe('fail');
    expect(j.mismatches?.[0]?.expected).toEqual({
      fault: { report: fault.fault.report },
      updates: [],
    });
    const ok = { translated: { pa: '0x0000000000005000', level: 'pte' }, updates: [] };
    const either = access({ either: [{ result: fault }, { result: ok }] });
    const observedOk = { translated: { pa: '0x0000000000005000' }, updates: [] };
    expect(judge(vec([either]), observed(observedOk), {}, hidden).verdict).toBe('pass');
    const otherPa = { translated: { pa: '0x0000000000006000' }, updates: [] };
    expect(judge(vec([either]), observed(otherPa), {}, hidden).verdict).toBe('fail');
  });
});

describe("a protocol implementation's `unobserved`", () => {
  it('comes from the target of its hello that covers the vector', async () => {
    const { unobservedBy } = await import('../../runners/protocol/negotiate.ts');
    const supports: Target[] = [
      {
        arch: 'riscv64',
        modes: ['sv39'],
        families: ['mmu'],
        unobserved: { access: ['/fault/class'] },
      },
      { arch: 'x86_64', modes: ['4level'], families: ['mmu'] },
    ];
    const input = (arch: string, mode: string) => ({
      id: 't',
      family: 'mmu',
      arch,
      mode,
      config: resolveConfig(),
      steps: [],
    });
    expect(unobservedBy(supports, input('riscv64', 'sv39'))).toEqual({ access: ['/fault/class'] });
    expect(unobservedBy(supports, input('x86_64', '4level'))).toEqual({});
    expect(unobservedBy(supports, input('riscv64', 'sv48'))).toEqual({});
  });

  it('leaves out the members its pointers name, in one pass however many pointers there are', () => {
    const v = { a: { b: 1, c: 2 }, d: 3, e: [{ f: 4 }], __proto__x: 5 };
    expect(withoutUnobserved(v, ['/a/b', '/d', '/e/0/f', '/x/y', ''])).toEqual({
      a: { c: 2 },
      e: [{ f: 4 }],
      __proto__x: 5,
    });
    // A member that goes takes its members with it, in either order.
    expect(withoutUnobserved(v, ['/a/b', '/a'])).toEqual({ d: 3, e: [{ f: 4 }], __proto__x: 5 });
    expect(withoutUnobserved(v, ['/a', '/a/b'])).toEqual({ d: 3, e: [{ f: 4 }], __proto__x: 5 });
    expect(withoutUnobserved(v, ['/zz'])).toBe(v);
    // 20,000 pointers against 20,000 members: one copy per pointer took minutes.
    const wide = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]));
    const all = Object.keys(wide).map((k) => `/${k}`);
    expect(withoutUnobserved(wide, all.slice(0, 19_999))).toEqual({ k19999: 19_999 });
  });
});
