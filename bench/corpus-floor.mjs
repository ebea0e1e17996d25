// The floor under a cold `ptvec run` of the whole corpus, whatever the engine: a new process that reads
// and JSON.parse-s every vector file a run reads (`parse`), and then also checks each against the
// schema with the package's precompiled validator (`validate`), as `ptvec run` does. bench/package.ts
// times it beside the run. It prints the number of vectors, so that the bench can tell it saw them all.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const mode = process.argv[2];
const root = new URL('../vectors', import.meta.url).pathname;
const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      // The arch descriptions are not vector files (runners/vectors/files.ts findVectorFiles).
      if (!(e.name === 'arch' && basename(dir) === 'vectors')) walk(p);
    } else if (p.endsWith('.json')) files.push(p);
  }
};
walk(root);
const validate =
  mode === 'validate'
    ? (await import('../dist/runners/vectors/generated/validators.js')).VALIDATORS[
        'vector-file.schema.json'
      ]
    : undefined;
let vectors = 0;
for (const f of files) {
  const data = JSON.parse(readFileSync(f, 'utf8'));
  if (validate && !validate(data)) throw new Error(`${f} is not valid`);
  vectors += data.vectors.length;
}
console.log(vectors);
