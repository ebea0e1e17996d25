// Vector ids are unique across the corpus. The files a command was given are checked against each
// other and against the rest of the corpus, so that a new file's duplicate is found when it is first
// linted, and blamed on the newcomer.

import { basename, dirname, resolve } from 'node:path';
import { displayPath, VECTORS_DIR } from '../paths.ts';
import { findVectorFiles, readVectorText, type LoadedVector, type Problem } from './files.ts';

interface Place {
  readonly file: string;
  readonly pointer: string;
}

/** The nearest enclosing directory named `vectors`, if any. */
function corpusRoot(path: string): string | undefined {
  for (let d = resolve(path); ; d = dirname(d)) {
    if (basename(d) === 'vectors') return d;
    if (dirname(d) === d) return undefined;
  }
}

/**
 * A superset of the vector ids a file's text holds, where no id can be written with an escape: each
 * `"id": "..."` string without one. A loaded vector's id matches the schema's pattern, whose
 * characters (`a-z0-9_./-`), like the key's, JSON can otherwise spell only as `\/` or `\u002d` to
 * `\u007a`: a text with such an escape is read whole (`\u00a7`, the corpus's §, is not one).
 */
const ID_MEMBER = /"id"\s*:\s*"([^"\\]*)"/g;
const asciiEscape = (text: string): boolean => {
  if (text.includes('\\/')) return true;
  for (let i = text.indexOf('\\u00'); i >= 0; i = text.indexOf('\\u00', i + 4)) {
    const digit = text.charCodeAt(i + 4);
    if (digit >= 0x32 && digit <= 0x37) return true;
  }
  return false;
};
const mayHoldAny = (text: string, wanted: ReadonlySet<string>): boolean => {
  if (asciiEscape(text)) return true;
  for (const m of text.matchAll(ID_MEMBER)) if (wanted.has(m[1]!)) return true;
  return false;
};

/**
 * Where the corpus (the package's vectors/ and each path's enclosing vectors/), outside `given`,
 * first has each of the `wanted` ids. A file is parsed only when a scan of its text finds one of
 * them: a run of one file reads the corpus's text, not its JSON.
 */
function corpusIds(
  paths: readonly string[],
  given: ReadonlySet<string>,
  wanted: ReadonlySet<string>,
): Map<string, Place> {
  const roots = new Set([VECTORS_DIR, ...paths.map(corpusRoot).filter((r) => r !== undefined)]);
  const ids = new Map<string, Place>();
  for (const f of findVectorFiles([...roots], [])) {
    if (given.has(f)) continue;
    // Not this command's files: their own problems are reported when they are given.
    const read = readVectorText(f);
    if ('problem' in read || !mayHoldAny(read.text, wanted)) continue;
    let data: unknown;
    try {
      data = JSON.parse(read.text);
    } catch {
      continue;
    }
    const vectors = (data as { vectors?: unknown } | null)?.vectors;
    if (!Array.isArray(vectors)) continue;
    vectors.forEach((v: unknown, i) => {
      const id = (v as { id?: unknown } | null)?.id;
      if (typeof id === 'string' && wanted.has(id) && !ids.has(id))
        ids.set(id, { file: displayPath(f), pointer: `/vectors/${i}` });
    });
  }
  return ids;
}

const at = (p: Place) => `${p.file}#${p.pointer}`;

/** How many of the other places a duplicate's problem names: n vectors with one id would otherwise
 * make n problems of n places each. */
const NAMED_PLACES = 3;

/**
 * Vectors whose id no other vector has. Every vector of the given files that shares an id is reported
 * (naming the others) and left out; so is one whose id the rest of the corpus already has.
 */
export function checkIds<V extends Pick<LoadedVector, 'id' | 'file' | 'pointer'>>(
  vectors: readonly V[],
  paths: readonly string[],
  files: readonly string[],
  problems: Problem[],
): V[] {
  const byId = new Map<string, V[]>();
  for (const v of vectors) {
    const same = byId.get(v.id);
    if (same) same.push(v);
    else byId.set(v.id, [v]);
  }
  const corpus = paths.length
    ? corpusIds(paths, new Set(files), new Set(byId.keys()))
    : new Map<string, Place>();
  return vectors.filter((v) => {
    const same = byId.get(v.id) ?? [];
    const old = corpus.get(v.id);
    const total = same.length - 1 + (old ? 1 : 0);
    if (total === 0) return true;
    // The corpus's first: it is why the newcomer is blamed. Only the first few are made.
    const named = old ? [at(old)] : [];
    for (const o of same) {
      if (named.length === NAMED_PLACES) break;
      if (o !== v) named.push(at(o));
    }
    const more = total - named.length;
    problems.push({
      file: v.file,
      pointer: `${v.pointer}/id`,
      message: `duplicate id "${v.id}": also at ${named.join(', ')}${more ? ` and ${more} more` : ''}`,
    });
    return false;
  });
}
