// `ptvec lint`: the schema, then what a schema cannot say (Wycheproof's vectorgen lint).

import { sep } from 'node:path';
import { cpuFeatures, opsOf } from './adapters/reference.ts';
import { archDescriptions, archProblems, levelOf } from './arch.ts';
import { loadVectors, stepExpect, type Problem } from './vectors/load.ts';

export interface LintResult {
  readonly files: number;
  readonly vectors: number;
  readonly problems: readonly Problem[];
}

export function lint(paths: readonly string[]): LintResult {
  const loaded = loadVectors(paths);
  const problems: Problem[] = [...archProblems(), ...loaded.problems];
  const descs = archDescriptions();
  for (const f of loaded.files) {
    const notes = f.data.notes ?? {};
    const used = new Set<string>();
    const dirs = f.file.split(sep);
    const vi = dirs.lastIndexOf('vectors');
    if (vi >= 0 && dirs[vi + 1] !== undefined && dirs[vi + 1] !== f.data.family) {
      problems.push({
        file: f.file,
        pointer: '/family',
        message: `family "${f.data.family}" does not match the directory vectors/${dirs[vi + 1] ?? ''}/`,
      });
    }
    for (const v of f.vectors) {
      const at = (p: string) => `${v.pointer}${p}`;
      for (const [i, fl] of v.flags.entries()) {
        used.add(fl);
        if (!Object.hasOwn(notes, fl))
          problems.push({
            file: f.file,
            pointer: at(`/flags/${i}`),
            message: `flag "${fl}" has no entry in notes`,
          });
      }
      if (!v.id.startsWith(`${v.arch}/${v.family}/`)) {
        problems.push({
          file: f.file,
          pointer: at('/id'),
          message: `expected the id to start with "${v.arch}/${v.family}/"`,
        });
      }
      const desc = descs.get(`${v.arch}-${v.mode}`);
      if (!desc) {
        problems.push({
          file: f.file,
          pointer: at('/mode'),
          message: `${v.arch} has no mode "${v.mode}"`,
        });
        continue;
      }
      if (!v.steps.some((s) => stepExpect(s) !== undefined)) {
        problems.push({
          file: f.file,
          pointer: at('/steps'),
          message: 'expected at least one step with "expect": a vector must assert something',
        });
      }
      const known = new Set(opsOf(v.arch));
      for (const [i, s] of v.steps.entries()) {
        if (!known.has(s.op)) {
          problems.push({
            file: f.file,
            pointer: at(`/steps/${i}/op`),
            message: `${s.op} is not defined on ${v.arch} (the reference model has no such helper there)`,
          });
        }
        if (s.op === 'set_features') {
          const known = cpuFeatures(v.arch);
          for (const k of Object.keys(s.args.features)) {
            if (!Object.hasOwn(known, k))
              problems.push({
                file: f.file,
                pointer: at(`/steps/${i}/args/features/${k}`),
                message: `${k} is not a ${v.arch} feature (it has: ${Object.keys(known).join(', ')})`,
              });
          }
        }
        if (s.op === 'decode' || s.op === 'encode') {
          const lv = levelOf(desc, s.args.level);
          if (!lv)
            problems.push({
              file: f.file,
              pointer: at(`/steps/${i}/args/level`),
              message: `${v.arch} ${v.mode} has no level "${s.args.level}"`,
            });
          else if (s.op === 'encode') {
            const fmt = lv.formats.find((x) => x.name === s.args.format);
            if (!fmt) {
              problems.push({
                file: f.file,
                pointer: at(`/steps/${i}/args/format`),
                message: `expected one of the formats of ${s.args.level}: ${lv.formats.map((x) => x.name).join(', ')}`,
              });
            } else {
              const names = new Set(fmt.fields.map((x) => x.name));
              for (const k of Object.keys(s.args.fields)) {
                if (!names.has(k))
                  problems.push({
                    file: f.file,
                    pointer: at(`/steps/${i}/args/fields/${k}`),
                    message: `format "${fmt.name}" has no field "${k}"`,
                  });
              }
            }
          }
        }
      }
    }
    for (const n of Object.keys(notes)) {
      if (!used.has(n))
        problems.push({
          file: f.file,
          pointer: `/notes/${n}`,
          message: `note "${n}" is not cited by any vector's flags`,
          severity: 'warning',
        });
    }
  }
  return { files: loaded.files.length, vectors: loaded.vectors.length, problems };
}
