// What a schema cannot say about a vector file (Wycheproof's vectorgen lint), checked by every
// command that loads vectors, so that `run`, `list` and `lint` judge a file alike.

import { existsSync } from 'node:fs';
import { basename, dirname, resolve, sep } from 'node:path';
import { archDescriptions, levelOf } from '../arch.ts';
import type { ArchDescription } from './generated/arch.ts';
import type { Step } from './generated/vector-file.ts';
import { quote, shorten } from './quote.ts';
import { stepExpect, type LoadedFile, type LoadedVector, type Problem } from './files.ts';
import type { VectorModel } from './model.ts';

/** Report the file's problems (family and directory, unused notes) and its vectors'; returns the vectors without one. */
export function checkFile(model: VectorModel, f: LoadedFile, problems: Problem[]): LoadedVector[] {
  const notes = f.data.notes ?? {};
  const dirs = f.file.split(sep);
  const vi = dirs.lastIndexOf('vectors');
  const dir = vi >= 0 ? dirs[vi + 1] : undefined;
  if (dir !== undefined && vi + 2 < dirs.length && dir !== f.data.family)
    problems.push({
      file: f.file,
      pointer: '/family',
      message: `family ${quote(f.data.family)} does not match the directory vectors/${dir}/`,
    });
  const schema = schemaPathProblem(f);
  if (schema) problems.push(schema);
  // Every vector's flags, the refused ones' too: a note they cite is not unused.
  const cited = new Set<unknown>(
    (f.data.vectors as readonly unknown[]).flatMap((v) => {
      const flags = typeof v === 'object' && v !== null ? (v as { flags?: unknown }).flags : [];
      return Array.isArray(flags) ? (flags as unknown[]) : [];
    }),
  );
  for (const n of Object.keys(notes))
    if (!cited.has(n))
      problems.push({
        file: f.file,
        pointer: `/notes/${pointerToken(n)}`,
        message: `note ${quote(n)} is not cited by any vector's flags`,
        severity: 'warning',
      });
  return f.vectors.filter((v) => {
    const found = vectorProblems(model, v, notes);
    problems.push(...found.map((p) => ({ file: v.file, ...p, pointer: v.pointer + p.pointer })));
    return found.length === 0;
  });
}

export const pointerToken = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * `$schema` is for editors: a relative path that leads to no vector-file.schema.json gives no
 * completion, silently. A warning (the file is still valid); a URL is not checked.
 */
function schemaPathProblem(f: LoadedFile): Problem | undefined {
  const given = f.data.$schema;
  if (/^[a-z][a-z0-9+.-]*:/i.test(given)) return undefined;
  const target = resolve(dirname(f.file), given);
  if (basename(target) === 'vector-file.schema.json' && existsSync(target)) return undefined;
  return {
    file: f.file,
    pointer: '/$schema',
    message: `${quote(given)} leads to no vector-file.schema.json from this file, so an editor finds no schema (the package's is schemas/vector-file.schema.json)`,
    severity: 'warning',
  };
}

type Found = Omit<Problem, 'file'>;

function vectorProblems(
  model: VectorModel,
  v: LoadedVector,
  notes: Readonly<Record<string, unknown>>,
): Found[] {
  const out: Found[] = [];
  v.flags.forEach((fl, i) => {
    if (!Object.hasOwn(notes, fl))
      out.push({ pointer: `/flags/${i}`, message: `flag ${quote(fl)} has no entry in notes` });
  });
  if (!v.id.startsWith(`${v.arch}/${v.family}/`))
    out.push({
      pointer: '/id',
      message: `expected the id to start with "${v.arch}/${v.family}/"`,
    });
  else if (v.id.split('/').length < 4)
    out.push({
      pointer: '/id',
      message: `expected the id as <arch>/<family>/<topic>/<case>, e.g. "${v.arch}/${v.family}/${v.id.split('/')[2] ?? 'topic'}/case"`,
    });
  if (!v.steps.some((s) => stepExpect(s) !== undefined))
    out.push({
      pointer: '/steps',
      message: 'expected at least one step with "expect": a vector must assert something',
    });
  const desc = archDescriptions().get(`${v.arch}-${v.mode}`);
  if (!desc) {
    out.push({
      pointer: v.vector.mode === undefined ? '' : '/mode',
      message: `${v.arch} has no mode ${quote(v.mode)} (vectors/arch/ has no ${v.arch}-${v.mode}.json)`,
    });
    return out;
  }
  v.steps.forEach((s, i) => {
    out.push(...stepProblems(model, v.arch, v.mode, desc, s, `/steps/${i}`));
    const deep = tooDeep(stepExpect(s));
    if (deep !== undefined)
      out.push({
        pointer: `/steps/${i}/expect${deep}`,
        message: `expected "either" and "byChoice" nested at most ${MAX_EXPECT_NESTING} deep`,
      });
  });
  return out;
}

/**
 * How deep `either` and `byChoice` may nest in an expectation (the corpus nests them one deep): the
 * comparer and the reporters recurse over expectations.
 */
export const MAX_EXPECT_NESTING = 8;

/** The pointer (below the expectation) of an alternative nested deeper than MAX_EXPECT_NESTING. */
function tooDeep(expect: unknown): string | undefined {
  // Most expectations are a `result`: nothing to walk.
  if (typeof expect !== 'object' || expect === null || 'result' in expect) return undefined;
  const todo: [unknown, string, number][] = [[expect, '', 0]];
  for (let item = todo.pop(); item; item = todo.pop()) {
    const [e, at, depth] = item;
    if (typeof e !== 'object' || e === null) continue;
    if (depth > MAX_EXPECT_NESTING) return at;
    const { either, byChoice } = e as {
      either?: unknown[];
      byChoice?: { cases: Record<string, unknown> };
    };
    // Pushed last to first, so that the first alternative too deep in document order is found.
    const next: [unknown, string, number][] = [
      ...(either ?? []).map((x, i): [unknown, string, number] => [
        x,
        `${at}/either/${i}`,
        depth + 1,
      ]),
      ...Object.entries(byChoice?.cases ?? {}).map(([k, x]): [unknown, string, number] => [
        x,
        `${at}/byChoice/cases/${pointerToken(k)}`,
        depth + 1,
      ]),
    ];
    for (let i = next.length - 1; i >= 0; i--) todo.push(next[i]!);
  }
  return undefined;
}

const opSets = new WeakMap<VectorModel, Map<string, ReadonlySet<string>>>();
/** The ops the arch defines, as a set made once per model and arch. */
function opsOfArch(model: VectorModel, arch: LoadedVector['arch']): ReadonlySet<string> {
  let byArch = opSets.get(model);
  if (!byArch) opSets.set(model, (byArch = new Map()));
  let ops = byArch.get(arch);
  if (!ops) {
    ops = new Set(model.opsOf(arch));
    byArch.set(arch, ops);
  }
  return ops;
}

function stepProblems(
  model: VectorModel,
  arch: LoadedVector['arch'],
  mode: string,
  desc: ArchDescription,
  s: Step,
  at: string,
): Found[] {
  if (!opsOfArch(model, arch).has(s.op))
    return [
      {
        pointer: `${at}/op`,
        message: `${s.op} is not defined on ${arch} (the reference model has no such helper there)`,
      },
    ];
  const out: Found[] = [];
  if (s.op === 'set_features') {
    const known = model.cpuFeatures(arch);
    for (const k of Object.keys(s.args.features))
      if (!Object.hasOwn(known, k))
        out.push({
          pointer: `${at}/args/features/${pointerToken(k)}`,
          message: `${shorten(k)} is not a ${arch} feature (it has: ${Object.keys(known).join(', ')})`,
        });
  }
  if (s.op !== 'decode' && s.op !== 'encode') return out;
  const lv = levelOf(desc, s.args.level);
  if (!lv)
    return [
      ...out,
      { pointer: `${at}/args/level`, message: `${arch} ${mode} has no level "${s.args.level}"` },
    ];
  if (s.op === 'decode') return out;
  const fmt = lv.formats.find((x) => x.name === s.args.format);
  if (!fmt)
    return [
      ...out,
      {
        pointer: `${at}/args/format`,
        message: `expected one of the formats of ${s.args.level}: ${lv.formats.map((x) => x.name).join(', ')}`,
      },
    ];
  const names = new Set(fmt.fields.map((x) => x.name));
  for (const k of Object.keys(s.args.fields))
    if (!names.has(k))
      out.push({
        pointer: `${at}/args/fields/${pointerToken(k)}`,
        message: `format "${fmt.name}" has no field ${quote(k)}`,
      });
  return out;
}
