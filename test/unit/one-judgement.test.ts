// `ptvec run` and `ptvec lint` judge a file alike: every broken file below is invalid input for both
// (exit 2), with the same problem at the same place, while its valid neighbour still runs and passes.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceImplementation } from '../../runners/adapters/reference.ts';
import { lint } from '../../runners/lint.ts';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { execute, type RunReport } from '../../runners/run.ts';
import type { Selection } from '../../runners/select.ts';
import { loadVectors } from '../../runners/load.ts';
import { dirtyVector, MEMORY, oneVmaSetup, tmp, vectorFile, writeJson } from './helpers.ts';

const ALL: Selection = { arch: [], mode: [], family: [], tag: [], grep: [] };
const BIN = join(PACKAGE_ROOT, 'bin/ptvec.js');

const hex = (n: number) => `0x${n.toString(16).padStart(16, '0')}`;
/** `tables` PTE tables, each with one 4K mapping: a PTE walk calls pte_entry 512 times per table. */
const walkSetup = (vmaEnd: string, tables = 1) => ({
  memory: MEMORY,
  map: Array.from({ length: tables }, (_, i) => ({
    va: hex(0x401000 + i * 0x200000),
    pa: hex(0x50000000 + i * 0x1000),
    size: '4K',
    fields: { RW: 1, US: 1 },
  })),
  mms: [
    {
      name: 'mm',
      vmas: [
        { name: 'a', start: '0x0000000000400000', end: vmaEnd, flags: ['VM_READ', 'VM_WRITE'] },
      ],
    },
  ],
  init_mm: { tree: 1 },
});
const walkStep = (op: string, args: Record<string, unknown>) => ({
  op,
  args,
  expect: { result: { ret: 0, events: [], changes: [] } },
});
const WALK_FILE = {
  family: 'walk',
  refs: ['linux-v6.19 mm/pagewalk.c:270 walk_pgd_range'],
};

const FAULT_FILE = { family: 'fault', refs: ['linux-v6.19 mm/memory.c:3914 wp_page_shared'] };
/** One shared writable VMA of file `f` over [0x400000, 0x600000) with these vm_ops; page 0 cached. */
const sharedFileSetup = (vm_ops: Record<string, unknown>) => ({
  memory: MEMORY,
  free_pages: ['0x0000000000050000'],
  files: [
    {
      name: 'f',
      can_writeback: true,
      pages: [{ index: '0x0000000000000000', pfn: '0x0000000000050100' }],
    },
  ],
  mms: [
    {
      name: 'mm',
      vmas: [
        {
          name: 'a',
          start: '0x0000000000400000',
          end: '0x0000000000600000',
          flags: ['VM_READ', 'VM_WRITE', 'VM_SHARED', 'VM_MAYREAD', 'VM_MAYWRITE', 'VM_MAYSHARE'],
          file: 'f',
          pgoff: '0x0000000000000000',
          vm_ops,
        },
      ],
    },
  ],
});
const userAccess = (access: string) => ({
  op: 'user_access',
  args: { mm: 'mm', va: '0x0000000000400000', access },
  expect: {
    result: {
      outcome: { translated: { pa: '0x0000000050100000', level: 'pte' } },
      events: [],
      changes: [],
    },
  },
});

const DIRTY_FILE = {
  family: 'dirty',
  refs: ['linux-v6.19 mm/mapping_dirty_helpers.c:313 clean_record_shared_mapping_range'],
};
const dirtySetup = sharedFileSetup({});
const cleanStep = (over: Record<string, string>) => ({
  op: 'clean_record_shared_mapping_range',
  args: {
    file: 'f',
    first_index: '0x0000000000000000',
    nr: '0x0000000000000040',
    bitmap_pgoff: '0x0000000000000000',
    bitmap: ['0x0000000000000000'],
    start: '0x0000000000000000',
    end: '0x0000000000000000',
    ...over,
  },
  expect: {
    result: {
      ret: 0,
      bitmap: ['0x0000000000000000'],
      start: '0x0000000000000040',
      end: '0x0000000000000000',
      events: [],
      changes: [],
    },
  },
});

/** Each kind of broken vector, the file it sits in, and the problem both commands must report. */
const BROKEN: readonly {
  name: string;
  over?: Record<string, unknown>;
  vector: Record<string, unknown>;
  pointer: string;
  message: RegExp;
}[] = [
  {
    name: 'an op the arch does not have',
    vector: {
      id: 'x86_64/pte/j/no-op',
      description: 'd',
      steps: [{ op: 'pte_cont', args: { pte: '0x0000000000000067' }, expect: { result: true } }],
    },
    pointer: '/vectors/1/steps/0/op',
    message: /^pte_cont is not defined on x86_64/,
  },
  {
    name: 'no expect',
    vector: {
      id: 'x86_64/pte/j/no-expect',
      description: 'd',
      steps: [{ op: 'pte_dirty', args: { pte: '0x0000000000000067' } }],
    },
    pointer: '/vectors/1/steps',
    message: /^expected at least one step with "expect"/,
  },
  {
    name: 'a flag without a note',
    vector: { ...dirtyVector('x86_64/pte/j/flag'), flags: ['Nowhere'] },
    pointer: '/vectors/1/flags/0',
    message: /^flag "Nowhere" has no entry in notes$/,
  },
  {
    name: 'an id of another arch or family',
    vector: dirtyVector('arm64/pte/j/prefix'),
    pointer: '/vectors/1/id',
    message: /^expected the id to start with "x86_64\/pte\/"$/,
  },
  {
    name: 'an encode of an unknown format',
    vector: {
      id: 'x86_64/pte/j/encode',
      description: 'd',
      steps: [
        {
          op: 'encode',
          args: { level: 'pte', format: 'nonesuch', fields: { P: 1 } },
          expect: { result: '0x0000000000000001' },
        },
      ],
    },
    pointer: '/vectors/1/steps/0/args/format',
    message: /^expected one of the formats of pte: /,
  },
  {
    name: 'a hardware op without a setup',
    vector: {
      id: 'x86_64/pte/j/access',
      description: 'd',
      steps: [
        {
          op: 'access',
          args: { va: '0x0000000000400000', access: 'load', priv: 'user' },
          expect: {
            result: { translated: { pa: '0x0000000050000000', level: 'pte' }, updates: [] },
          },
        },
      ],
    },
    pointer: '/vectors/1/setup',
    message: /setup/,
  },
  {
    name: 'a kernel op without mm state',
    over: WALK_FILE,
    vector: {
      id: 'x86_64/walk/j/no-mm',
      description: 'd',
      setup: { memory: MEMORY },
      steps: [
        walkStep('walk_page_range', {
          mm: 'mm',
          start: '0x0000000000400000',
          end: '0x0000000000401000',
          ops: { pte_hole: {} },
        }),
      ],
    },
    pointer: '/vectors/1/steps/0/args',
    message: /needs Linux mm state/,
  },
  {
    name: 'a kernel walk over the whole 64-bit range',
    over: WALK_FILE,
    vector: {
      id: 'x86_64/walk/j/all-64',
      description: 'd',
      setup: walkSetup('0x0000000000600000'),
      steps: [
        walkStep('walk_kernel_page_table_range', {
          start: '0x0000000000000000',
          end: '0xffffffffffffffff',
          ops: { pte_hole: {} },
        }),
      ],
    },
    pointer: '/vectors/1/steps/0/args/end',
    message: /^the top-level entries of the range \(33554432\) exceed the work budget/,
  },
  {
    name: 'install_pte over a VMA of 512 GiB',
    over: WALK_FILE,
    vector: {
      id: 'x86_64/walk/j/install-512g',
      description: 'd',
      setup: walkSetup('0x0000008000000000'),
      steps: [
        walkStep('walk_page_range', {
          mm: 'mm',
          start: '0x0000000000400000',
          end: '0x0000008000000000',
          ops: { install_pte: { write: '0x0000000050000067' }, pte_entry: {} },
        }),
      ],
    },
    pointer: '/vectors/1/steps/0/args/end',
    message: /^install_pte calls for the pages of the range in a VMA \(134216704\) exceed/,
  },
  {
    name: 'a file whose mapping_can_writeback is read but not declared (seen only when it runs)',
    over: { family: 'fault', refs: ['linux-v6.19 mm/vma.c:2042 vma_fs_can_writeback'] },
    vector: {
      id: 'x86_64/fault/j/undeclared-file',
      description: 'd',
      setup: oneVmaSetup(['VM_READ', 'VM_WRITE', 'VM_SHARED', 'VM_SOFTDIRTY'], { file: 'f' }),
      steps: [
        { op: 'vma_set_page_prot', args: { vma: 'a' }, expect: { result: '0x8000000000000027' } },
      ],
    },
    pointer: '/vectors/1/setup/files',
    message: /^mapping_can_writeback of file "f" \(VMA "a"\) is read: list the file in setup.files/,
  },
  {
    name: 'can_change_pte_writable on a VMA without VM_WRITE (a WARN in the kernel)',
    over: { family: 'fault', refs: ['linux-v6.19 mm/mprotect.c:41 maybe_change_pte_writable'] },
    vector: {
      id: 'x86_64/fault/j/not-writable',
      description: 'd',
      setup: oneVmaSetup(['VM_READ']),
      steps: [
        {
          op: 'can_change_pte_writable',
          args: { vma: 'a', addr: '0x0000000000400000', pte: '0x8000000050000065' },
          expect: { result: false },
        },
      ],
    },
    pointer: '/vectors/1/steps/0/args/vma',
    message: /^can_change_pte_writable is for a VM_WRITE VMA/,
  },
  {
    name: 'a user-mode page fault whose x86 error code lacks X86_PF_USER',
    over: { family: 'fault', refs: ['linux-v6.19 arch/x86/mm/fault.c:1462 handle_page_fault'] },
    vector: {
      id: 'x86_64/fault/j/no-user-bit',
      description: 'd',
      setup: oneVmaSetup(['VM_READ']),
      steps: [
        {
          op: 'handle_page_fault',
          args: { mm: 'mm', error_code: '0x0000', address: '0x0000000000400000' },
          expect: {
            result: {
              signal: {
                si_signo: 'SIGSEGV',
                si_code: 'SEGV_MAPERR',
                si_addr: '0x0000000000400000',
              },
            },
          },
        },
      ],
    },
    pointer: '/vectors/1/steps/0/args/error_code',
    message: /^a fault taken in user mode has X86_PF_USER in its error code$/,
  },
  {
    name: 'a walk that makes more events than the budget (seen only when it runs)',
    over: WALK_FILE,
    vector: {
      id: 'x86_64/walk/j/many-events',
      description: 'd',
      setup: walkSetup('0x0000000008400000', 64),
      steps: [
        walkStep('walk_page_range', {
          mm: 'mm',
          start: '0x0000000000400000',
          end: '0x0000000000600000',
          ops: { pte_entry: {} },
        }),
        walkStep('walk_page_range', {
          mm: 'mm',
          start: '0x0000000000400000',
          end: '0x0000000008400000',
          ops: { pte_entry: {} },
        }),
      ],
    },
    pointer: '/vectors/1/steps/1',
    message: /^exceeds the work budget of a vector: more than 20000 events \(the budget: /,
  },
  {
    name: 'a fault loop that never ends (a page_mkwrite that always answers VM_FAULT_NOPAGE)',
    over: FAULT_FILE,
    vector: {
      id: 'x86_64/fault/j/endless',
      description: 'd',
      setup: sharedFileSetup({
        fault: {},
        page_mkwrite: { return: ['VM_FAULT_NOPAGE'] },
        map_pages: {},
      }),
      steps: [userAccess('store')],
    },
    pointer: '/vectors/1/steps/0',
    message: /^the access faulted 65 times: a fault loop that never ends/,
  },
  {
    name: 'a pfn_mkwrite script on a VMA that maps no PFNs',
    over: FAULT_FILE,
    vector: {
      id: 'x86_64/fault/j/pfn-mkwrite-no-pfnmap',
      description: 'd',
      setup: sharedFileSetup({ fault: {}, pfn_mkwrite: {} }),
      steps: [userAccess('load')],
    },
    pointer: '/vectors/1/setup/mms/0/vmas/0/vm_ops/pfn_mkwrite',
    message:
      /^vm_ops->pfn_mkwrite is called for PFN mappings: the VMA needs VM_PFNMAP or VM_MIXEDMAP$/,
  },
  {
    name: 'a page_mkwrite script on a VMA without the file it works on',
    over: FAULT_FILE,
    vector: {
      id: 'x86_64/fault/j/no-file',
      description: 'd',
      setup: { ...sharedFileSetup({ page_mkwrite: {} }), files: [] },
      steps: [userAccess('load')],
    },
    pointer: '/vectors/1/setup/mms/0/vmas/0/vm_ops/page_mkwrite',
    message:
      /^vm_ops->page_mkwrite works on the VMA's file: give the VMA a `file` listed in setup.files$/,
  },
  {
    name: 'an access by a CPU that does not run the mm',
    over: FAULT_FILE,
    vector: {
      id: 'x86_64/fault/j/other-root',
      description: 'd',
      setup: {
        ...sharedFileSetup({ fault: {} }),
        mms: [...sharedFileSetup({ fault: {} }).mms, { name: 'other', tree: 1, vmas: [] }],
        cpus: [{ root: { tree: 1 } }],
      },
      steps: [userAccess('load')],
    },
    pointer: '/vectors/1/steps/0/args/cpu',
    message: /^cpu 0 does not run mm "mm": its translation root is not the mm's tree 0$/,
  },
  {
    name: 'a clean_record bitmap shorter than the range needs',
    over: DIRTY_FILE,
    vector: {
      id: 'x86_64/dirty/j/short-bitmap',
      description: 'd',
      setup: dirtySetup,
      steps: [cleanStep({ nr: '0x0000000000000041' })],
    },
    pointer: '/vectors/1/steps/0/args/bitmap',
    message: /^the bitmap has 64 bits; the range needs 65 \(first_index \+ nr - bitmap_pgoff\)$/,
  },
  {
    name: 'a range whose first_index + nr wraps',
    over: DIRTY_FILE,
    vector: {
      id: 'x86_64/dirty/j/wraps',
      description: 'd',
      setup: dirtySetup,
      steps: [
        {
          op: 'wp_shared_mapping_range',
          args: { file: 'f', first_index: '0xffffffffffffff00', nr: '0x0000000000000100' },
          expect: { result: { ret: 0, events: [], changes: [] } },
        },
      ],
    },
    pointer: '/vectors/1/steps/0/args/nr',
    message: /^first_index \+ nr wraps past 2\^64$/,
  },
  {
    name: 'a dirty helper over an unknown file',
    over: DIRTY_FILE,
    vector: {
      id: 'x86_64/dirty/j/unknown-file',
      description: 'd',
      setup: dirtySetup,
      steps: [cleanStep({ file: 'nonesuch' })],
    },
    pointer: '/vectors/1/steps/0/args/file',
    message: /^no file "nonesuch" in setup.files or mapped by a VMA$/,
  },
];

function brokenDir(): string {
  const d = tmp();
  BROKEN.forEach((b, i) => {
    const good =
      b.over === WALK_FILE
        ? {
            id: `x86_64/walk/j/good-${i}`,
            description: 'pte_hole over an empty PMD range, depth 3 on x86 4-level',
            setup: walkSetup('0x0000000000600000'),
            steps: [
              {
                op: 'walk_page_range',
                args: {
                  mm: 'mm',
                  start: '0x0000000000600000',
                  end: '0x0000000000800000',
                  ops: { pte_hole: {} },
                },
                expect: {
                  result: {
                    ret: 0,
                    changes: [],
                    events: [
                      {
                        event: 'pte_hole',
                        addr: '0x0000000000600000',
                        next: '0x0000000000800000',
                        depth: -1,
                      },
                    ],
                  },
                },
              },
            ],
          }
        : dirtyVector(`x86_64/${(b.over?.family as string | undefined) ?? 'pte'}/j/good-${i}`);
    writeJson(d, `${String(i).padStart(2, '0')}.json`, vectorFile([good, b.vector], b.over));
  });
  return d;
}

const errorsOf = (
  ps: readonly { file: string; pointer: string; message: string; severity?: string }[],
) =>
  ps
    .filter((p) => p.severity !== 'warning')
    .map((p) => `${p.file.split('/').pop() ?? ''}#${p.pointer}: ${p.message}`)
    .sort();

describe('one judgement for run and lint', () => {
  const dir = brokenDir();

  it.each(BROKEN.map((b, i) => [b.name, b, i] as const))('%s', async (_n, b, i) => {
    const file = join(dir, `${String(i).padStart(2, '0')}.json`);
    const l = lint([file]);
    const report = await execute(referenceImplementation(), loadVectors([file]), {
      selection: ALL,
    });
    expect(errorsOf(l.problems)).toEqual(errorsOf(report.problems));
    const found = l.problems.find((p) => p.pointer === b.pointer);
    expect(found?.message, JSON.stringify(l.problems)).toMatch(b.message);
    // The valid neighbour still runs, and the broken vector gets no verdict of its own.
    expect(report.results.map((r) => [r.id.split('/').pop(), r.verdict])).toEqual([
      [`good-${i}`, 'pass'],
    ]);
  });

  it('exits 2 from both commands, and writes the report', () => {
    const out = join(tmp(), 'r.json');
    const run = spawnSync(process.execPath, [BIN, 'run', dir, '--reporter', `json=${out}`], {
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
    });
    const lnt = spawnSync(process.execPath, [BIN, 'lint', dir], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(lnt.status).toBe(2);
    const report = JSON.parse(readFileSync(out, 'utf8')) as RunReport;
    expect(report.summary.passed).toBe(BROKEN.length);
    expect(report.summary.problems).toBe(BROKEN.length);
    for (const b of BROKEN) expect(lnt.stderr).toContain(`#${b.pointer}: `);
    expect(run.stderr + lnt.stderr).not.toMatch(/\n\s+at .*\.ts:\d+/);
  });

  it('agrees over the whole corpus', async () => {
    const loaded = loadVectors([]);
    const report = await execute(referenceImplementation(), loaded, { selection: ALL });
    expect(errorsOf(report.problems)).toEqual(errorsOf(lint([]).problems));
    expect(report.summary.total).toBe(loaded.vectors.length);
  });

  it('checks a new file against the corpus and blames the newcomer', () => {
    const corpus = loadVectors([]).vectors;
    const old = corpus.find((v) => v.family === 'pte' && v.arch === 'x86_64')!;
    const d = tmp();
    const file = writeJson(d, 'new.json', vectorFile([dirtyVector(old.id)]));
    const l = lint([file]);
    expect(l.problems).toEqual([
      {
        file: expect.stringMatching(/new\.json$/),
        pointer: '/vectors/0/id',
        message: `duplicate id "${old.id}": also at ${old.file}#${old.pointer}`,
      },
    ]);
  });

  it('finds a duplicate in the corpus however its file spells the id, and only a real one', () => {
    // corpusIds scans the other files' text before parsing any: each spelling below, in a file of
    // its own, must still be found, and an id that only a string quotes must not.
    const d = join(tmp(), 'vectors', 'pte', 'x86_64');
    mkdirSync(d, { recursive: true });
    const spellings: Record<string, (text: string) => string> = {
      plain: (t) => t,
      slash: (t) => t.replace('"x86_64/pte/e/slash"', '"x86_64\\/pte\\/e\\/slash"'),
      key: (t) => t.replace(/"id": "x86_64\/pte\/e\/key"/, '"\\u0069d" : "x86_64/pte/e/key"'),
      letter: (t) => t.replace('"x86_64/pte/e/letter"', '"x86_64/pte/e/l\\u0065tter"'),
    };
    const ids = Object.keys(spellings).map((k) => `x86_64/pte/e/${k}`);
    for (const [k, spell] of Object.entries(spellings)) {
      const text = JSON.stringify(vectorFile([dirtyVector(`x86_64/pte/e/${k}`)]), null, 1);
      if (k !== 'plain') expect(spell(text)).not.toBe(text);
      writeFileSync(join(d, `old-${k}.json`), spell(text));
    }
    const quoted = {
      ...dirtyVector('x86_64/pte/e/other'),
      description: '"id": "x86_64/pte/e/quoted"',
    };
    writeJson(d, 'quotes.json', vectorFile([quoted]));
    const mine = [...ids, 'x86_64/pte/e/quoted'].map((id) => dirtyVector(id));
    const file = writeJson(d, 'new.json', vectorFile(mine));
    expect(lint([file]).problems.map((p) => `${p.pointer} ${p.message}`)).toEqual(
      Object.keys(spellings).map(
        (k, i) =>
          `/vectors/${i}/id duplicate id "${ids[i]!}": also at ${join(d, `old-${k}.json`)}#/vectors/0`,
      ),
    );
  });

  it('checks a family against its directory under vectors/', () => {
    const d = join(tmp(), 'vectors', 'walk', 'x86_64');
    mkdirSync(d, { recursive: true });
    const file = writeJson(d, 'f.json', vectorFile([dirtyVector('x86_64/pte/j/dir')]));
    const msgs = lint([file]).problems.map((p) => `${p.pointer} ${p.message}`);
    expect(msgs).toEqual(['/family family "pte" does not match the directory vectors/walk/']);
  });
});
