// `npm test` on a fresh clone: install what the tests need if it is not there yet, so that the
// README's test command does all the set-up by itself:
// - the locked npm dependencies (npm ci);
// - Debian packages: a C compiler and jansson for the C implementation (examples/c-impl),
//   chromium for the HTML report's browser test, and QEMU with the cross compilers of its
//   harnesses (test/unit/qemu-*.test.ts). Installed with apt-get when running as root; otherwise
//   the missing packages are named and the tests that need them fail saying so;
// - the QEMU harnesses (scripts/build-qemu.sh), when the compilers are there.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const root = new URL('..', import.meta.url);
if (!existsSync(new URL('node_modules/.package-lock.json', root))) {
  console.log('ptvec: installing dependencies (npm ci) ...');
  execSync('npm ci', { stdio: 'inherit', cwd: root });
}

/** The QEMU implementation's programs and the Debian packages that hold them. */
const QEMU_PACKAGES = [
  ['qemu-system-riscv64', 'qemu-system-misc'],
  ['qemu-system-aarch64', 'qemu-system-arm'],
  ['qemu-system-x86_64', 'qemu-system-x86'],
  ['riscv64-unknown-elf-gcc', 'gcc-riscv64-unknown-elf'],
  ['aarch64-linux-gnu-gcc', 'gcc-aarch64-linux-gnu'],
];
const ok = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const missing = [
  ...(ok('cc', ['--version']) ? [] : ['gcc', 'libc6-dev']),
  ...(ok('pkg-config', ['--exists', 'jansson']) ? [] : ['pkg-config', 'libjansson-dev']),
  ...(existsSync('/usr/bin/chromium') ? [] : ['chromium']),
  ...QEMU_PACKAGES.filter(([cmd]) => !ok(cmd, ['--version'])).map(([, pkg]) => pkg),
];
if (missing.length) {
  const packages = [...new Set(missing)];
  if (process.getuid?.() === 0 && ok('apt-get', ['--version'])) {
    console.log(`ptvec: installing Debian packages: ${packages.join(' ')} ...`);
    execSync('apt-get update', { stdio: 'inherit' });
    execSync(`apt-get install -y --no-install-recommends ${packages.join(' ')}`, {
      stdio: 'inherit',
    });
  } else {
    console.warn(
      `ptvec: the tests need these Debian packages, which are missing: ${packages.join(' ')}\n` +
        `       install them (sudo apt-get install ${packages.join(' ')}) or the C and browser tests will fail`,
    );
  }
}

if (QEMU_PACKAGES.every(([cmd]) => ok(cmd, ['--version']))) {
  const built = spawnSync('bash', ['scripts/build-qemu.sh'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) console.warn('ptvec: building the QEMU harnesses failed');
}

// The compiled JavaScript the command line runs (bin/ptvec.js): tests start it as a user would.
execSync('node scripts/build.mjs', { stdio: 'inherit', cwd: root });
