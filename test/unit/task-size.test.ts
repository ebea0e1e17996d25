// A VMA of a setup lies below the arch's TASK_SIZE for a 64-bit task, up to it and not past it:
// x86_64 task_size_max() is (1 << 47) - PAGE_SIZE, with LA57 (1 << 56) - PAGE_SIZE
// (arch/x86/include/asm/page_64.h:94-102), so the page below 2^47 is never user memory; arm64
// TASK_SIZE_64 is 1 << vabits_actual (arch/arm64/include/asm/processor.h:56); riscv64 TASK_SIZE_64 is
// PGDIR_SIZE * PTRS_PER_PGD / 2 (arch/riscv/include/asm/pgtable.h:1221).

import { describe, expect, it } from 'vitest';
import { vectorProblem } from '../../runners/adapters/reference.ts';
import { MEMORY } from './helpers.ts';

const hex = (x: bigint) => '0x' + x.toString(16).padStart(16, '0');

/** A setup whose one VMA is the page [end - page, end). */
const lastPage = (end: bigint, page: bigint) => ({
  memory: MEMORY,
  mms: [{ name: 'mm', vmas: [{ name: 'a', start: hex(end - page), end: hex(end), flags: [] }] }],
});

describe('a VMA and TASK_SIZE', () => {
  it.each([
    ['x86_64', '4level', (1n << 47n) - 0x1000n, 0x1000n],
    ['x86_64', '5level', (1n << 56n) - 0x1000n, 0x1000n],
    ['arm64', '4k-48', 1n << 48n, 0x1000n],
    ['arm64', '64k-42', 1n << 42n, 0x10000n],
    ['riscv64', 'sv39', 1n << 38n, 0x1000n],
    ['riscv64', 'sv57', 1n << 56n, 0x1000n],
  ] as const)('%s %s: up to TASK_SIZE, not a page past it', (arch, mode, taskSize, page) => {
    expect(vectorProblem(arch, mode, lastPage(taskSize, page), [])).toBeUndefined();
    expect(vectorProblem(arch, mode, lastPage(taskSize + page, page), [])).toEqual({
      pointer: '/setup/mms/0/vmas/0',
      message: 'expected a VMA inside the user address space',
    });
  });
});
