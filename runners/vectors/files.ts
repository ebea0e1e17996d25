// Vector files read and checked against the schema, as vectors with their location. A broken file or
// vector becomes a Problem with its location; everything else still loads.

import { readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { displayPath, NOT_REGULAR, readRegularText, VECTORS_DIR } from '../paths.ts';
import { resolveConfig, type ResolvedConfig } from './config.ts';
import type { Step, Vector, VectorFile } from './generated/vector-file.ts';
import { locateJsonError } from './json-position.ts';
import { schemaProblems, validator } from './schemas.ts';

export interface Problem {
  readonly file: string;
  readonly pointer: string;
  readonly message: string;
  /** error (default): could not be judged, exit status 2; warning: reported only. */
  readonly severity?: 'error' | 'warning';
}

/** A step's name and expectation; steps that produce nothing (write, TLB maintenance) have neither. */
export const stepName = (s: Step): string | undefined => ('name' in s ? s.name : undefined);
export const stepExpect = (s: Step): unknown => ('expect' in s ? s.expect : undefined);

export interface LoadedVector {
  readonly id: string;
  readonly file: string;
  /** JSON pointer of the vector inside its file. */
  readonly pointer: string;
  readonly family: VectorFile['family'];
  readonly arch: NonNullable<Vector['arch']>;
  readonly mode: NonNullable<Vector['mode']>;
  readonly config: ResolvedConfig;
  readonly description: string;
  readonly flags: readonly string[];
  readonly tags: readonly string[];
  readonly setup?: Vector['setup'];
  readonly steps: readonly Step[];
  readonly vector: Vector;
}

export interface LoadedFile {
  readonly file: string;
  readonly data: VectorFile;
  readonly vectors: readonly LoadedVector[];
}

export interface LoadResult {
  readonly files: readonly LoadedFile[];
  readonly vectors: readonly LoadedVector[];
  readonly problems: readonly Problem[];
  /** The setups of `vectors` are not built yet: the check by running builds them (`run`, `lint`). */
  readonly setupsByRun?: boolean;
}

/** Vector files under the given paths (default: the package's vectors/), sorted; arch descriptions excluded. */
export function findVectorFiles(paths: readonly string[], problems: Problem[]): string[] {
  const roots = paths.length ? paths.map((p) => resolve(p)) : [VECTORS_DIR];
  const out: string[] = [];
  // Each directory and file once, by device and inode: symbolic links may lead to one twice, or
  // in a loop.
  const seen = new Set<string>();
  const walk = (p: string, top: boolean): void => {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const message =
        code === 'ENOENT'
          ? 'no such file or directory'
          : code === 'ELOOP'
            ? 'a loop of symbolic links'
            : `cannot read: ${(e as Error).message}`;
      problems.push({ file: displayPath(p), pointer: '', message });
      return;
    }
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return;
    if (st.isDirectory()) {
      seen.add(key);
      for (const e of readdirSync(p).sort()) {
        if (e === 'arch' && basename(p) === 'vectors') continue; // arch descriptions, not vectors
        walk(join(p, e), false);
      }
    } else if (p.endsWith('.json') || top) {
      seen.add(key);
      out.push(p);
    }
  };
  roots.forEach((r) => walk(r, true));
  return out;
}

/** The text of a vector file, or why it is not read (paths.ts readRegularText). */
export function readVectorText(path: string): { text: string } | { problem: string } {
  const read = readRegularText(path, MAX_FILE_BYTES);
  if ('text' in read) return read;
  if (read.kind === 'special') return { problem: NOT_REGULAR };
  if (read.kind === 'large')
    return {
      problem: `the file is ${read.size} bytes; a vector file may have at most ${MAX_FILE_BYTES} (split it)`,
    };
  return { problem: `cannot read: ${read.message}` };
}

/** "invalid JSON" with the line and column where the text first goes wrong. */
function jsonProblem(text: string, err: unknown): string {
  // RFC 8259 §8.1: a JSON text is not to begin with a byte order mark, and a parser may ignore one.
  // The choice: a vector file with one is refused, with this message rather than JSON.parse's.
  if (text.charCodeAt(0) === 0xfeff)
    return 'invalid JSON: the file begins with a byte order mark (U+FEFF); save it as UTF-8 without one';
  const at = locateJsonError(text);
  if (at) return `invalid JSON at line ${at.line} column ${at.column}: expected ${at.expected}`;
  return `invalid JSON: ${err instanceof Error ? err.message : String(err)}`;
}

const VECTOR_PATH = /^\/vectors\/(\d+)(\/.*)?$/;

/** The largest vector file read (the corpus's largest is about 0.5 MiB): a file is held whole, parsed
 * and validated, so its size bounds the memory a run needs for it. */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;

export function loadFile(path: string, problems: Problem[]): LoadedFile | undefined {
  const file = displayPath(path);
  const read = readVectorText(path);
  if ('problem' in read) {
    problems.push({ file, pointer: '', message: read.problem });
    return undefined;
  }
  const { text } = read;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    problems.push({ file, pointer: '', message: jsonProblem(text, e) });
    return undefined;
  }
  const validate = validator('vector-file.schema.json');
  const badVectors = new Set<number>();
  if (!validate(data)) {
    const found = schemaProblems(validate);
    let envelope = false;
    for (const p of found) {
      problems.push({ file, pointer: p.pointer, message: p.message });
      const m = VECTOR_PATH.exec(p.pointer);
      if (m?.[2] === undefined) envelope = true;
      else badVectors.add(Number(m[1]));
    }
    // The envelope (defaults, notes, refs) is wrong: none of the file's vectors can be trusted.
    if (envelope) return undefined;
  }
  const vf = data as VectorFile;
  const vectors: LoadedVector[] = [];
  vf.vectors.forEach((v, i) => {
    if (badVectors.has(i)) return;
    vectors.push({
      id: v.id,
      file,
      pointer: `/vectors/${i}`,
      family: vf.family,
      arch: v.arch ?? vf.defaults.arch,
      mode: v.mode ?? vf.defaults.mode,
      config: resolveConfig(vf.defaults.config, v.config),
      description: v.description,
      flags: v.flags ?? [],
      tags: v.tags ?? [],
      ...(v.setup === undefined ? {} : { setup: v.setup }),
      steps: v.steps,
      vector: v,
    });
  });
  return { file, data: vf, vectors };
}
