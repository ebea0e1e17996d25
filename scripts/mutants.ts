// Hand-picked mutants of the fault loop, mprotect, the dirty helpers and userfaultfd (scripts/mutants.json):
// each one rule of the engine broken in the source, the vectors of the fault, dirty, mmu, tlb and uffd families
// run against it, and
// the mutant counted as killed when any vector no longer passes. Mutants listed with `equivalent`
// are ones no vector can kill in the model, with the reason. Not a test (it rewrites src/ while it
// runs and restores it); `npx tsx scripts/mutants.ts [FILE...]`, about ten minutes for all.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../runners/paths.ts';

interface Mutant {
  readonly file: string;
  readonly from: string;
  readonly to: string;
  readonly equivalent?: string;
}
// Arguments: only the mutants of files whose path contains one of them (all without).
const only = process.argv.slice(2);
const mutants = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'scripts/mutants.json'), 'utf8')) as Mutant[]
).filter((m) => only.length === 0 || only.some((o) => m.file.includes(o)));
let killed = 0;
const survivors: Mutant[] = [];
for (const m of mutants) {
  const path = join(PACKAGE_ROOT, m.file);
  const src = readFileSync(path, 'utf8');
  if (src.split(m.from).length !== 2) throw new Error(`${m.file}: not found once: ${m.from}`);
  writeFileSync(path, src.replace(m.from, m.to));
  let passedAll: boolean;
  try {
    const r = spawnSync(
      process.execPath,
      [
        join(PACKAGE_ROOT, 'bin/ptvec.js'),
        'run',
        'vectors/fault',
        'vectors/dirty',
        'vectors/mmu',
        'vectors/tlb',
        'vectors/uffd',
      ],
      { cwd: PACKAGE_ROOT, encoding: 'utf8' },
    );
    const m2 = /(\d+) vectors against ref: (\d+) passed/.exec(r.stdout + r.stderr);
    passedAll = r.status === 0 && m2 !== null && m2[1] === m2[2];
  } finally {
    writeFileSync(path, src);
  }
  if (passedAll) survivors.push(m);
  else killed++;
}
for (const s of survivors)
  console.log(
    `survived ${s.file}: ${s.from.split('\n')[0]}\n  ${s.equivalent ?? 'NOT KNOWN EQUIVALENT: a gap'}`,
  );
const equivalent = survivors.filter((s) => s.equivalent).length;
console.log(
  `${killed} of ${mutants.length} killed; ${equivalent} survivors equivalent in the model; ${survivors.length - equivalent} gaps`,
);
process.exitCode = survivors.length === equivalent ? 0 : 1;
