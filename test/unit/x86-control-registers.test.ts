// x86_64 control-register state the hardware cannot reach is a format error, not an outcome: a setup
// CR3 root at or above 2^MAXPHYADDR (no MOV to CR3 could have loaded it: it is #GP(0), SDM vol. 2B
// MOV; vol. 3A §4.5 Tables 4-12/4-13), a set_features step naming MAXPHYADDR (CPUID, not a register)
// or PAE/LA57 (fixed by the vector's mode), and a write_cr3 `root` with bit 63 (that bit is `noflush`).
// The #GP(0) of a MOV itself is a step result: vectors/mmu/x86_64/gp-control-registers.json.

import { describe, expect, it } from 'vitest';
import { vectorProblem } from '../../runners/adapters/reference.ts';
import { checkByRunning, loadVectors } from '../../runners/load.ts';
import type { Problem } from '../../runners/vectors/files.ts';
import { tmp, vectorFile, writeJson } from './helpers.ts';

const MEM = { base: '0x0000000040000000', size: '0x0000000080000000' } as const;
const page = {
  va: '0x00007f1234567000',
  pa: '0x0000000050012000',
  size: '4K',
  fields: { RW: 1, US: 1, A: 1, D: 1 },
};

describe('a setup CR3 root at or above 2^MAXPHYADDR is a format error', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    [
      'a raw root with bit 36, MAXPHYADDR=36',
      {
        memory: MEM,
        map: [page],
        cpus: [{ root: '0x0000001040000000', features: { MAXPHYADDR: 36 } }],
      },
      '/cpus/0/root',
      /0x1040000000 is at or above 2\^MAXPHYADDR \(MAXPHYADDR=36\).*#GP\(0\)/,
    ],
    [
      'a raw root with bit 51, default MAXPHYADDR=52 is fine but 40 is not',
      {
        memory: MEM,
        map: [page],
        cpus: [{ root: '0x0000010040000000', features: { MAXPHYADDR: 40 } }],
      },
      '/cpus/0/root',
      /at or above 2\^MAXPHYADDR \(MAXPHYADDR=40\)/,
    ],
    [
      "a tree's root in memory above 2^MAXPHYADDR (the second CPU)",
      {
        memory: { base: '0x0000001000000000', size: '0x0000000000100000' },
        cpus: [{}, { root: { tree: 0 }, features: { MAXPHYADDR: 36 } }],
      },
      '/cpus/1/root',
      /0x1000000000 is at or above 2\^MAXPHYADDR \(MAXPHYADDR=36\)/,
    ],
    [
      'the default root: setup.tables above 2^MAXPHYADDR',
      {
        memory: { base: '0x0000000040000000', size: '0x0000002000000000' },
        tables: '0x0000001000000000',
        cpus: [{ features: { MAXPHYADDR: 36 } }],
      },
      '/tables',
      /CR3 cannot hold it/,
    ],
    [
      'the default root: memory.base above 2^MAXPHYADDR',
      {
        memory: { base: '0x0000010000000000', size: '0x0000000000100000' },
        cpus: [{ features: { MAXPHYADDR: 40 } }],
      },
      '/memory/base',
      /put the tables below 2\^MAXPHYADDR/,
    ],
  ];
  it.each(cases)('%s', (_name, setup, pointer, message) => {
    const p = vectorProblem('x86_64', '4level', setup, []);
    expect(p?.pointer).toBe(`/setup${pointer}`);
    expect(p?.message).toMatch(message);
  });

  it('accepts the highest root below 2^MAXPHYADDR, and any root with MAXPHYADDR=52', () => {
    const edge = {
      memory: { base: '0x0000000fff000000', size: '0x0000000001000000' },
      tables: '0x0000000ffffff000',
      cpus: [{ features: { MAXPHYADDR: 36 } }],
    };
    expect(vectorProblem('x86_64', '4level', edge, [])).toBeUndefined();
    const high = { memory: { base: '0x000ffff000000000', size: '0x0000000000100000' } };
    expect(vectorProblem('x86_64', '5level', high, [])).toBeUndefined();
  });

  it('is dropped by the loader with file, pointer and message', () => {
    const dir = tmp();
    const v = {
      id: 'x86_64/mmu/t/root-above-maxphyaddr',
      description: 'a root above MAXPHYADDR',
      setup: {
        memory: MEM,
        map: [page],
        cpus: [{ root: '0x0000001040000000', features: { MAXPHYADDR: 36 } }],
      },
      steps: [
        {
          op: 'access',
          args: { va: '0x00007f1234567321', access: 'load', priv: 'user' },
          expect: {
            result: {
              fault: {
                class: 'translation',
                level: 'pgd',
                report: { exception: '#PF', errorCode: '0x0004', cr2: '0x00007f1234567321' },
              },
              updates: [],
            },
          },
        },
      ],
    };
    const r = loadVectors([writeJson(dir, 'f.json', vectorFile([v], { family: 'mmu' }))]);
    expect(r.vectors).toEqual([]);
    expect(r.problems).toEqual([
      expect.objectContaining({
        pointer: '/vectors/0/setup/cpus/0/root',
        message: expect.stringMatching(/at or above 2\^MAXPHYADDR/),
      }),
    ]);
  });
});

describe('control-register steps the hardware has no instruction for are format errors', () => {
  const run = (steps: unknown[]) => {
    const dir = tmp();
    const v = {
      id: 'x86_64/mmu/t/cr',
      description: 'a control-register step',
      setup: { memory: MEM, map: [page] },
      steps: [
        ...steps,
        {
          op: 'access',
          args: { va: '0x00007f1234567321', access: 'load', priv: 'user' },
          expect: {
            result: { translated: { pa: '0x0000000050012321', level: 'pte' }, updates: [] },
          },
        },
      ],
    };
    const loaded = loadVectors([writeJson(dir, 'f.json', vectorFile([v], { family: 'mmu' }))]);
    // The schema rejects what it can (an unknown feature); the engine's dry run the rest.
    const problems: Problem[] = [...loaded.problems];
    return { vectors: checkByRunning(loaded.vectors, problems), problems };
  };

  it.each([
    [
      'set_features MAXPHYADDR (CPUID, not a register)',
      { op: 'set_features', args: { features: { MAXPHYADDR: 40 } } },
      '/vectors/0/steps/0/args/features/MAXPHYADDR',
      /MAXPHYADDR is CPUID.80000008H:EAX\[7:0\], not a control register/,
    ],
    [
      'set_features LA57 (the mode, not a feature)',
      { op: 'set_features', args: { features: { LA57: false } } },
      '/vectors/0/steps/0/args/features',
      /unexpected property "LA57"/,
    ],
    [
      'set_features PAE (the mode, not a feature)',
      { op: 'set_features', args: { features: { PAE: false } } },
      '/vectors/0/steps/0/args/features',
      /unexpected property "PAE"/,
    ],
    [
      'write_cr3 with bit 63 in root',
      { op: 'write_cr3', args: { root: '0x8000000040000000' } },
      '/vectors/0/steps/0/args/root',
      /CR3 bit 63 is the `noflush` argument/,
    ],
  ])('%s', (_name, step, pointer, message) => {
    const r = run([step]);
    expect(r.vectors).toEqual([]);
    expect(r.problems).toEqual([
      expect.objectContaining({ pointer, message: expect.stringMatching(message) }),
    ]);
  });
});
