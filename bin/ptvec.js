#!/usr/bin/env node
// ptvec runs from its compiled JavaScript in dist/ (npm run build; npm ci and npm pack run it).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/runners/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'ptvec: dist/ is not built: run `npm run build` in the ptvec checkout (npm ci does it too)\n',
  );
  process.exit(2);
}
const { main, optimizeLater } = await import(cli.href);
// A short run is faster without V8's optimizing compiler: runners/tier-up.ts.
optimizeLater();
process.exitCode = await main(process.argv.slice(2));
