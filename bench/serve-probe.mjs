// `ptvec serve` as the package runs it (dist/), noting when it writes its first answer: the wall-clock
// time, in ms since the epoch, goes to the file PTVEC_PROBE names (bench/package.ts reads it).
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const file = process.env.PTVEC_PROBE;
const write = process.stdout.write.bind(process.stdout);
let lines = 0;
process.stdout.write = (chunk, ...rest) => {
  // The first line is the hello; the next write holds the first answer.
  if (lines++ === 1 && file)
    writeFileSync(file, String(performance.timeOrigin + performance.now()));
  return write(chunk, ...rest);
};
const { main } = await import(new URL('../dist/runners/cli.js', import.meta.url).href);
process.exitCode = await main(['serve']);
