// Small builders for unit tests: a vector file on disk, a loaded vector in memory, a corpus with
// problems of every kind.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { resolveConfig } from '../../runners/vectors/config.ts';
import type { LoadedVector } from '../../runners/vectors/files.ts';
import type { Step } from '../../runners/vectors/generated/vector-file.ts';

export const tmp = (): string => mkdtempSync(join(tmpdir(), 'ptvec-test-'));

export function vectorFile(
  vectors: unknown[],
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    // The package's schema from wherever the test writes the file: $schema leads to it.
    $schema: join(PACKAGE_ROOT, 'schemas/vector-file.schema.json'),
    formatVersion: 1,
    family: 'pte',
    title: 'test file',
    refs: ['linux-v6.19 arch/x86/include/asm/pgtable.h:155 pte_dirty'],
    defaults: { arch: 'x86_64', mode: '4level' },
    vectors,
    ...over,
  };
}

export function writeJson(dir: string, name: string, data: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof data === 'string' ? data : JSON.stringify(data, null, 2));
  return p;
}

export const dirtyVector = (id: string, result: unknown = true) => ({
  id,
  description: 'pte_dirty of a PTE with D set',
  steps: [{ op: 'pte_dirty', args: { pte: '0x0000000000000067' }, expect: { result } }],
});

export const MEMORY = { base: '0x0000000040000000', size: '0x0000000080000000' } as const;

/** A setup with one mm `mm` holding one VMA `a` over [0x400000, end) with these flags. */
export const oneVmaSetup = (
  flags: readonly string[],
  over: Record<string, unknown> = {},
  end = '0x0000000000600000',
) => ({
  memory: MEMORY,
  mms: [{ name: 'mm', vmas: [{ name: 'a', start: '0x0000000000400000', end, flags, ...over }] }],
});

interface File {
  vectors: {
    id: string;
    description: unknown;
    setup?: { memory: { base: string } };
    steps: { expect?: unknown }[];
  }[];
}

/** Copies of a few corpus files under new ids, with problems put in. */
export function corpusWithProblems(): string {
  const root = join(mkdtempSync(join(tmpdir(), 'ptvec-problems-')), 'vectors');
  const files = [
    'fault/x86_64/loop-anon.json',
    'fault/x86_64/mprotect.json',
    'uffd/arm64/api.json',
    'uffd/arm64/changes-bases.json',
    'pte/riscv64/laws.json',
  ];
  const data = files.map(
    (f) => JSON.parse(readFileSync(join(PACKAGE_ROOT, 'vectors', f), 'utf8')) as File,
  );
  for (const d of data) for (const v of d.vectors) v.id += '-copy';
  data[0]!.vectors[1]!.id = data[0]!.vectors[0]!.id;
  data[0]!.vectors[2]!.description = 5;
  // A wrong expectation: the first 64-bit result of the pte file, its last digit changed.
  const step = data[4]!.vectors
    .flatMap((v) => v.steps)
    .find((s) => typeof (s.expect as { result?: unknown } | undefined)?.result === 'string')!;
  const r = (step.expect as { result: string }).result;
  step.expect = { result: r.slice(0, -1) + (r.endsWith('0') ? '1' : '0') };
  data[1]!.vectors[1]!.setup!.memory.base = '0x0000000000000123';
  data[2]!.vectors[0]!.id = data[3]!.vectors[0]!.id;
  files.forEach((f, i) => {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), JSON.stringify(data[i]));
  });
  writeFileSync(join(root, 'fault', 'not-json.json'), '{"vectors": [');
  return root;
}

/** A loaded vector of these steps, for judging without a file. */
export function loadedVector(
  steps: unknown[],
  arch: string = 'x86_64',
  mode: string = '4level',
  over: Partial<LoadedVector> = {},
): LoadedVector {
  return {
    id: 't',
    file: 'f.json',
    pointer: '/vectors/0',
    family: 'pte',
    arch: arch as LoadedVector['arch'],
    mode: mode as LoadedVector['mode'],
    config: resolveConfig(),
    description: 'd',
    flags: [],
    tags: [],
    steps: steps as Step[],
    vector: {} as LoadedVector['vector'],
    ...over,
  };
}
