// The C implementation in examples/c-impl, run through the protocol (`ptvec run --exec`): the
// correct build passes every vector of what it declares, and each bug switch (README.md) fails the
// vectors named for it there. Needs cc, pkg-config and jansson (CI installs libjansson-dev).

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import type { Report } from '../../runners/vectors/generated/report.ts';
import { tmp, writeJson } from './helpers.ts';

const IMPL = join(PACKAGE_ROOT, 'examples/c-impl');
const CLI = join(PACKAGE_ROOT, 'bin/ptvec.js');
const TIMEOUT = 300_000;
/** The implementation's checked-in expected failures (vector id -> reason); it fails nothing. */
const EXPECTED_FAILURES = join(IMPL, 'expected-failures.json');

/** The targets of the hello, as run filters, with the passes measured when they were written and
 *  the only skip reasons allowed. */
const TARGETS = {
  riscv64: {
    filter: ['--arch', 'riscv64', '--family', 'mmu', '--family', 'tlb'],
    passed: 528,
    skips: ['not declared: riscv64 sv57'],
  },
  x86_64: {
    filter: ['--arch', 'x86_64', '--family', 'pte'],
    passed: 555,
    skips: [],
  },
} as const;
type Target = keyof typeof TARGETS;

/** Each bug switch, the target whose vectors catch it and the vectors README.md names for it. */
const BUGS: [string, Target, string[]][] = [
  [
    'NO_MISALIGNED_SUPERPAGE_FAULT',
    'riscv64',
    ['riscv64/mmu/walk/sv39/misaligned_2m_ppn0', 'riscv64/mmu/walk/sv48/misaligned_512g_ppn0'],
  ],
  [
    'AD_BEFORE_PERMISSION_CHECK',
    'riscv64',
    ['riscv64/mmu/ad/sv39/adue_store_ro_no_update', 'riscv64/mmu/ad/sv48/adue_u_check_no_update'],
  ],
  [
    'PTE_ACCESS_FAULT_AS_PAGE_FAULT',
    'riscv64',
    [
      'riscv64/mmu/access-fault/sv39/table_outside_memory_pmd_load',
      'riscv64/mmu/access-fault/sv48/table_outside_memory_pud_load',
    ],
  ],
  [
    'AD_UPDATE_FROM_TLB',
    'riscv64',
    [
      'riscv64/tlb/ad-cache/sv39/adue_cached_d0_store_rewalks',
      'riscv64/tlb/ad-cache/sv48/adue_cached_d0_store_after_remap',
    ],
  ],
  [
    'SFENCE_IGNORES_RS1_SUPERPAGE',
    'riscv64',
    ['riscv64/tlb/sfence/sv39/wp_2m_fence_inside', 'riscv64/tlb/sfence/sv48/wp_2m_fence_inside'],
  ],
  [
    'SFENCE_VA_CURRENT_ASID_ONLY',
    'riscv64',
    [
      'riscv64/tlb/sfence/sv39/va_x0_fences_inactive_asid',
      'riscv64/tlb/sfence/sv48/va_x0_fences_inactive_asid',
    ],
  ],
  [
    'SFENCE_ASID_MUST_BE_CURRENT',
    'riscv64',
    [
      'riscv64/tlb/sfence/sv39/x0_asid_fences_inactive_asid',
      'riscv64/tlb/sfence/sv48/x0_asid_fences_inactive_asid',
    ],
  ],
  [
    'TLB_IGNORES_ASID',
    'riscv64',
    [
      'riscv64/tlb/satp/sv39/asid_switch_does_not_flush',
      'riscv64/tlb/satp/sv48/asid_switch_does_not_flush',
    ],
  ],
  [
    'SUM_ALLOWS_FETCH',
    'riscv64',
    ['riscv64/mmu/permissions/sv39/sum_s_fetch_u', 'riscv64/mmu/permissions/sv48/sum_s_fetch_u'],
  ],
  [
    'STVAL_PAGE_BASE',
    'riscv64',
    [
      'riscv64/mmu/permissions/sv39/r_u0_u_load',
      'riscv64/mmu/access-fault/sv48/leaf_outside_memory_load',
    ],
  ],
  [
    'PTE_NONE_STRICT',
    'x86_64',
    ['x86_64/pte/pte-none/accessed_dirty', 'x86_64/pte/pte-none/dirty_only'],
  ],
  [
    'WRPROTECT_DROPS_DIRTY',
    'x86_64',
    [
      'x86_64/pte/mk-helpers/wrprotect/dirty_moves_to_saved_dirty',
      'x86_64/pte/saved-dirty/shstk_off/wrprotect_dirty',
    ],
  ],
  [
    'PFN_NOT_INVERTED',
    'x86_64',
    ['x86_64/pte/pfn/pte_pfn/protnone', 'x86_64/pte/protnone/pfn_pte_page_none'],
  ],
  [
    'SWP_OFFSET_NOT_INVERTED',
    'x86_64',
    ['x86_64/pte/swap/arch/entry_3_12345', 'x86_64/pte/swap/generic/swp_entry_to_pte'],
  ],
];

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell; resolves with its exit status instead of rejecting. */
function exec(file: string, args: string[]): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: PACKAGE_ROOT, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** At most two builds or runs at a time: the CI machine has two cores. */
let slots = 2;
const waiting: (() => void)[] = [];
async function limited<T>(job: () => Promise<T>): Promise<T> {
  if (slots === 0) await new Promise<void>((resolve) => waiting.push(resolve));
  else slots--;
  try {
    return await job();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else slots++;
  }
}

/** build.sh into a fresh directory, with extra cc flags: the binary. Warnings are errors. */
async function build(flags: string[]): Promise<string> {
  const out = tmp();
  const r = await limited(() => exec('sh', [join(IMPL, 'build.sh'), out, ...flags]));
  if (r.code !== 0 || r.stderr !== '')
    throw new Error(`build.sh ${flags.join(' ')}: status ${r.code}\n${r.stderr}`);
  return join(out, 'ptvec-c');
}

let correct: Promise<string> | undefined;
const correctBuild = (): Promise<string> => (correct ??= build([]));

/** `ptvec run --exec BIN` over one target's vectors: the JSON report and the exit status. */
async function run(
  bin: string,
  target: Target,
  expectFail = EXPECTED_FAILURES,
): Promise<{ report: Report; code: number }> {
  const file = join(tmp(), 'report.json');
  const args = [CLI, 'run', '--exec', bin, ...TARGETS[target].filter, '--reporter', `json=${file}`];
  args.push('--expect-fail', expectFail);
  const r = await limited(() => exec(process.execPath, args));
  if (!existsSync(file))
    throw new Error(`ptvec run wrote no report: status ${r.code}\n${r.stderr}`);
  return { report: JSON.parse(readFileSync(file, 'utf8')) as Report, code: r.code };
}

describe('examples/c-impl through ptvec run --exec', () => {
  it.concurrent.for(Object.keys(TARGETS) as Target[])(
    'the correct build passes every %s vector it declares',
    { timeout: TIMEOUT },
    async (target, { expect }) => {
      const { report, code } = await run(await correctBuild(), target);
      const { summary } = report;
      expect(report.implementation.name).toBe('ptvec-c-example');
      expect(summary.failed).toBe(0);
      expect(summary.errors).toBe(0);
      expect(summary.problems).toBe(0);
      expect(summary.passed).toBeGreaterThanOrEqual(TARGETS[target].passed);
      const reasons = new Set(
        report.results.filter((r) => r.verdict === 'skip').map((r) => r.reason),
      );
      expect([...reasons]).toEqual(TARGETS[target].skips);
      expect(code).toBe(0);
    },
  );

  it.concurrent.for(BUGS)(
    'PTVEC_BUG_%s fails the %s vectors README.md names',
    { timeout: TIMEOUT },
    async ([bug, target, ids], { expect }) => {
      const { report, code } = await run(await build([`-DPTVEC_BUG_${bug}`]), target);
      const verdicts = new Map(report.results.map((r) => [r.id, r.verdict]));
      for (const id of ids) expect(verdicts.get(id), id).toBe('fail');
      expect(report.summary.errors).toBe(0);
      expect(code).toBe(1);
    },
  );

  it(
    'an expected-failures file turns known failures into xfail, and reports them once fixed',
    { timeout: TIMEOUT },
    async () => {
      const buggy = await build(['-DPTVEC_BUG_STVAL_PAGE_BASE']);
      const first = await run(buggy, 'riscv64');
      const failing = first.report.results.filter((r) => r.verdict === 'fail');
      const known = writeJson(
        tmp(),
        'expected-failures.json',
        Object.fromEntries(failing.map((r) => [r.id, 'stval holds the page base (issue #7)'])),
      );
      const again = await run(buggy, 'riscv64', known);
      expect(again.code).toBe(0);
      expect(again.report.summary.xfailed).toBe(failing.length);
      expect(again.report.summary.failed).toBe(0);
      // The bug is fixed: every entry is now stale, and the run fails until they are removed.
      const fixed = await run(await correctBuild(), 'riscv64', known);
      expect(fixed.code).toBe(1);
      expect(fixed.report.summary.xpassed).toBe(failing.length);
      expect(fixed.report.results.find((r) => r.verdict === 'xpass')?.reason).toMatch(
        /remove it from/,
      );
    },
  );

  it('README.md documents every bug switch of the sources, with the vectors above', () => {
    const readme = readFileSync(join(IMPL, 'README.md'), 'utf8');
    const sources = ['riscv_mmu.c', 'x86_pte.c', 'steps.c', 'main.c']
      .map((f) => readFileSync(join(IMPL, f), 'utf8'))
      .join('\n');
    const inSources = new Set([...sources.matchAll(/PTVEC_BUG_([A-Z0-9_]+)/g)].map((m) => m[1]));
    expect([...inSources].sort()).toEqual(BUGS.map(([bug]) => bug).sort());
    for (const [bug, , ids] of BUGS) {
      expect(readme).toContain(`PTVEC_BUG_${bug}`);
      for (const id of ids) expect(readme, `${bug}: ${id}`).toContain(id);
    }
  });
});
