// Small builders for unit tests: a vector file on disk, and a loaded vector in memory.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const tmp = (): string => mkdtempSync(join(tmpdir(), 'ptvec-test-'));

export function vectorFile(
  vectors: unknown[],
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    $schema: '../../../schemas/vector-file.schema.json',
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
