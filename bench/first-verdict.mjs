// A fresh process doing what `ptvec run --exec "ptvec serve"` does, from the compiled package
// (dist/), printing as JSON how long after the process started the first vector had its verdict
// and the run had its report (bench/package.ts runs it). Arguments: the selection's --family values.
import { performance } from 'node:perf_hooks';

const dist = new URL('../dist/runners/', import.meta.url);
const [{ loadVectors }, { execute }, { execImplementation }] = await Promise.all([
  import(new URL('load.js', dist).href),
  import(new URL('run.js', dist).href),
  import(new URL('protocol/client.js', dist).href),
]);
const bin = new URL('../bin/ptvec.js', import.meta.url).pathname;
const started = execImplementation({
  argv: [process.execPath, bin, 'serve'],
  timeoutMs: 30_000,
  jobs: 1,
});
const loaded = loadVectors([], true);
const impl = await started;
let first;
const timed = {
  ...impl,
  run: (vectors, answered) =>
    impl.run(vectors, (i, o) => {
      first ??= performance.now();
      answered(i, o);
    }),
};
const family = process.argv.slice(2);
const report = await execute(timed, loaded, {
  selection: { arch: [], mode: [], family, tag: [], grep: [] },
});
await impl.close();
console.log(
  JSON.stringify({
    firstMs: first,
    reportMs: performance.now(),
    total: report.summary.total,
    passed: report.summary.passed,
  }),
);
