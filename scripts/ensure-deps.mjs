// `npm test` on a fresh clone: install what the tests need if it is not there yet, so that the
// README's test command does all the set-up by itself:
// - the locked npm dependencies (npm ci);
// - Debian packages: a C compiler and jansson for the C implementation (examples/c-impl), and
//   chromium for the HTML report's browser test. Installed with apt-get when running as root;
//   otherwise the missing packages are named and the tests that need them fail saying so.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const root = new URL('..', import.meta.url);
if (!existsSync(new URL('node_modules/.package-lock.json', root))) {
  console.log('ptvec: installing dependencies (npm ci) ...');
  execSync('npm ci', { stdio: 'inherit', cwd: root });
}

const ok = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const missing = [
  ...(ok('cc', ['--version']) ? [] : ['gcc', 'libc6-dev']),
  ...(ok('pkg-config', ['--exists', 'jansson']) ? [] : ['pkg-config', 'libjansson-dev']),
  ...(existsSync('/usr/bin/chromium') ? [] : ['chromium']),
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
