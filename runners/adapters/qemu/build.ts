// The bare-metal harnesses QEMU runs: built from harness/qemu/<arch>/ by scripts/build-qemu.sh
// into build/qemu/ (nothing prebuilt is committed). A checkout builds them on first use and again
// when a source is newer than the harness; a package carries them built.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../paths.ts';
import type { QemuTarget } from './target.ts';

export const BUILD_DIR = join(PACKAGE_ROOT, 'build', 'qemu');
const SOURCES = join(PACKAGE_ROOT, 'harness', 'qemu');
const SCRIPT = join(PACKAGE_ROOT, 'scripts', 'build-qemu.sh');

export function harnessPath(t: QemuTarget): string {
  return join(BUILD_DIR, t.harness);
}

/** Why the target's harness cannot be used, if it cannot. */
export function harnessProblem(t: QemuTarget): string | undefined {
  return existsSync(harnessPath(t))
    ? undefined
    : `the ${t.arch} harness ${harnessPath(t)} is not built: run \`bash scripts/build-qemu.sh\` (it needs Debian's gcc-riscv64-unknown-elf, gcc-aarch64-linux-gnu and gcc)`;
}

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Build the harnesses when the sources are here and a harness is missing or older than them.
 * Returns what went wrong, if the build failed (the harnesses that exist are still used).
 */
export function ensureHarnesses(targets: readonly QemuTarget[]): string | undefined {
  if (!existsSync(SOURCES) || !existsSync(SCRIPT)) return undefined;
  const sources = Math.max(newest(SOURCES), statSync(SCRIPT).mtimeMs);
  const stale = targets.some((t) => {
    const p = harnessPath(t);
    return !existsSync(p) || statSync(p).mtimeMs < sources;
  });
  if (!stale) return undefined;
  try {
    execFileSync('bash', [SCRIPT, BUILD_DIR], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    });
    return undefined;
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    return `building the QEMU harnesses failed: ${(err.stderr?.toString('utf8').trim() || err.message).slice(-800)}`;
  }
}
