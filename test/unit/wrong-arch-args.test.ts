// The page-fault entry takes the fault as the arch's hardware reports it: x86_64 handle_page_fault
// (arch/x86/mm/fault.c:1462) the #PF error code and CR2, riscv64 handle_page_fault
// (arch/riscv/mm/fault.c:278) scause and stval, arm64 do_mem_abort (arch/arm64/mm/fault.c:928) ESR
// and FAR. Another arch's form is invalid input, found by the check lint and run share, never a crash
// of the engine. The schema cannot tell x86_64's from riscv64's handle_page_fault: the arch may come
// from the file's defaults.

import { describe, expect, it } from 'vitest';
import {
  observe,
  referenceImplementation,
  vectorProblem,
} from '../../runners/adapters/reference.ts';
import { lint } from '../../runners/lint.ts';
import { loadVectors } from '../../runners/load.ts';
import { execute } from '../../runners/run.ts';
import type { Selection } from '../../runners/select.ts';
import { resolveConfig } from '../../runners/vectors/config.ts';
import { oneVmaSetup, tmp, vectorFile, writeJson } from './helpers.ts';

const ALL: Selection = { arch: [], mode: [], family: [], tag: [], grep: [] };
const ADDR = '0x0000000000700000';
const MODE = { x86_64: '4level', arm64: '4k-48', riscv64: 'sv48' } as const;
type Arch = keyof typeof MODE;

/** Each arch's entry, its args for a user load at ADDR (no VMA there), and how its form reads. */
const ENTRY: Readonly<
  Record<Arch, { op: string; args: Record<string, unknown>; form: string; takes: string }>
> = {
  x86_64: {
    op: 'handle_page_fault',
    args: { mm: 'mm', error_code: '0x0004', address: ADDR },
    form: '{mm, error_code, address}',
    takes:
      'x86_64 handle_page_fault takes {mm, error_code, address} (current->mm, the #PF error code and CR2)',
  },
  riscv64: {
    op: 'handle_page_fault',
    args: { mm: 'mm', cause: 13, badaddr: ADDR },
    form: '{mm, cause, badaddr}',
    takes: 'riscv64 handle_page_fault takes {mm, cause, badaddr} (current->mm, scause and stval)',
  },
  arm64: {
    op: 'do_mem_abort',
    // EC 0x24 (data abort from EL0), IL, FSC 0x07 (translation fault, level 3).
    args: { mm: 'mm', esr: '0x0000000092000007', far: ADDR },
    form: '{mm, esr, far}',
    takes: 'arm64 do_mem_abort takes {mm, esr, far} (current->mm, ESR_EL1 and FAR_EL1)',
  },
};
const ARCHES = Object.keys(ENTRY) as Arch[];

const SETUP = oneVmaSetup(['VM_READ', 'VM_WRITE', 'VM_MAYREAD', 'VM_MAYWRITE']);
const MAPERR = {
  result: { signal: { si_signo: 'SIGSEGV', si_code: 'SEGV_MAPERR', si_addr: ADDR } },
};

const problem = (arch: Arch, op: string, args: Record<string, unknown>) =>
  vectorProblem(arch, MODE[arch], SETUP, [{ op, args } as never]);

/** What another arch's form is called in the message of `arch`'s entry. */
const theirs = (arch: Arch, other: Arch) =>
  `${other}'s ${ENTRY[other].op === ENTRY[arch].op ? '' : `${ENTRY[other].op} `}${ENTRY[other].form}`;

const PAIRS = ARCHES.flatMap((arch) =>
  ARCHES.filter((o) => o !== arch).map((other) => [arch, other] as const),
);

describe("a page-fault entry given another arch's args", () => {
  it.each(PAIRS)(
    '%s given the %s form: a problem at its args, naming the form it takes',
    (arch, other) => {
      expect(problem(arch, ENTRY[arch].op, ENTRY[other].args)).toEqual({
        pointer: '/steps/0/args',
        message: `${ENTRY[arch].takes}, not ${theirs(arch, other)}`,
      });
      // The arch's own form is fine.
      expect(problem(arch, ENTRY[arch].op, ENTRY[arch].args)).toBeUndefined();
    },
  );

  it.each(PAIRS)(
    '%s given the %s form: run unchecked, an invalid vector, not a bug',
    (arch, other) => {
      const o = observe({
        id: `${arch}/fault/wrong-arch/${other}`,
        family: 'fault',
        arch,
        mode: MODE[arch],
        config: resolveConfig(),
        setup: SETUP,
        steps: [{ op: ENTRY[arch].op, args: ENTRY[other].args, expect: MAPERR } as never],
      });
      expect(o).toEqual({
        kind: 'error',
        reason: `invalid vector at /steps/0/args: ${ENTRY[arch].takes}, not ${theirs(arch, other)}`,
      });
    },
  );

  it.each([
    ['x86_64', { mm: 'mm', error_code: '0x0004' }, '/steps/0/args', ': "address" is missing'],
    [
      'x86_64',
      { mm: 'mm', error_code: '0x0004', address: ADDR, cause: 13 },
      '/steps/0/args/cause',
      `: "cause" is riscv64's`,
    ],
    [
      'x86_64',
      { mm: 'mm', error_code: '0x0004', badaddr: ADDR },
      '/steps/0/args',
      `: "address" is missing; "badaddr" is riscv64's`,
    ],
    ['riscv64', { cause: 13, badaddr: ADDR }, '/steps/0/args', ': "mm" is missing'],
    [
      'riscv64',
      { mm: 'mm', cause: 13, badaddr: ADDR, error_code: '0x0004' },
      '/steps/0/args/error_code',
      `: "error_code" is x86_64's`,
    ],
    [
      'arm64',
      { mm: 'mm', esr: '0x0000000092000007', far: ADDR, address: ADDR },
      '/steps/0/args/address',
      `: "address" is x86_64's`,
    ],
    ['arm64', { mm: 'mm', esr: '0x0000000092000007' }, '/steps/0/args', ': "far" is missing'],
  ] as const)('%s given %j: a problem at %s', (arch, args, pointer, why) => {
    expect(problem(arch, ENTRY[arch].op, args)).toEqual({
      pointer,
      message: `${ENTRY[arch].takes}${why}`,
    });
  });
});

describe("lint and run judge another arch's handle_page_fault alike", () => {
  // The two forms the schema admits for handle_page_fault: only the engine knows the arch's.
  it.each([
    ['x86_64', 'riscv64'],
    ['riscv64', 'x86_64'],
  ] as const)(
    'a %s file with %s args: invalid for both, its neighbour still runs',
    async (arch, other) => {
      const vector = (id: string, args: Record<string, unknown>) => ({
        id: `${arch}/fault/wrong-arch/${MODE[arch]}/${id}`,
        description: 'a user load where no VMA is: SIGSEGV, SEGV_MAPERR',
        setup: SETUP,
        steps: [
          { op: 'handle_page_fault', args, expect: MAPERR },
          { op: 'handle_page_fault', args: ENTRY[arch].args, expect: MAPERR },
        ],
      });
      const file = writeJson(
        tmp(),
        'wrong-arch.json',
        vectorFile([vector('broken', ENTRY[other].args), vector('good', ENTRY[arch].args)], {
          family: 'fault',
          refs: ['linux-v6.19 arch/x86/mm/fault.c:1462 handle_page_fault'],
          defaults: { arch, mode: MODE[arch] },
        }),
      );
      const l = lint([file]);
      const report = await execute(referenceImplementation(), loadVectors([file]), {
        selection: ALL,
      });
      const errors = (ps: readonly { pointer: string; message: string; severity?: string }[]) =>
        ps.filter((p) => p.severity !== 'warning').map((p) => `${p.pointer}: ${p.message}`);
      const expected = [
        `/vectors/0/steps/0/args: ${ENTRY[arch].takes}, not ${theirs(arch, other)}`,
      ];
      expect(errors(l.problems)).toEqual(expected);
      expect(errors(report.problems)).toEqual(expected);
      expect(report.results.map((r) => [r.id.split('/').pop(), r.verdict])).toEqual([
        ['good', 'pass'],
      ]);
      expect(JSON.stringify(report)).not.toContain('a bug of ptvec');
    },
  );
});

describe("arm64's init_mm state in another arch's setup", () => {
  it.each([
    ['x86_64', 'rodata_full', true],
    ['riscv64', 'linear_map', { va: '0xffff000000000000', pa: '0x0000000040000000' }],
    ['x86_64', 'bti', false],
    ['riscv64', 'vm_areas', []],
  ] as const)(
    '%s with init_mm.%s: a problem there (pageattr.c is arm64 only)',
    (arch, member, value) => {
      const setup = { ...SETUP, init_mm: { tree: 1, [member]: value } };
      expect(vectorProblem(arch, MODE[arch], setup, [])).toEqual({
        pointer: `/setup/init_mm/${member}`,
        message: `init_mm.${member} is arm64's (arch/arm64/mm/pageattr.c): ${arch} has none`,
      });
      expect(
        vectorProblem(arch, MODE[arch], { ...SETUP, init_mm: { tree: 1 } }, []),
      ).toBeUndefined();
      expect(vectorProblem('arm64', MODE.arm64, setup, [])).toBeUndefined();
    },
  );
});
