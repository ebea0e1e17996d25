// The QEMU targets, by arch.

import { arm64Target } from './arm64.ts';
import { riscv64Target } from './riscv64.ts';
import type { QemuTarget } from './target.ts';
import { x86_64Target } from './x86_64.ts';

export const TARGETS: Readonly<Record<'x86_64' | 'arm64' | 'riscv64', QemuTarget>> = {
  x86_64: x86_64Target as QemuTarget,
  arm64: arm64Target as QemuTarget,
  riscv64: riscv64Target as QemuTarget,
};
