// Where the package's own data lives, how files are named in messages, and reading a JSON input.

import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nestingDepth } from './json-depth.ts';
import { locateJsonError } from './vectors/json-position.ts';

/** The deepest JSON a user's file (a report, an expected-failures file) may be. */
export const MAX_INPUT_DEPTH = 256;
/** The largest such file read: V8's longest string is 2^29 - 24 UTF-16 units. */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

/** The package's directory: above runners/ in a checkout, above dist/runners/ when compiled. */
export const PACKAGE_ROOT = ((): string => {
  const here = dirname(fileURLToPath(import.meta.url));
  const up = dirname(here);
  return existsSync(join(up, 'package.json')) ? up : dirname(up);
})();
export const SCHEMAS_DIR = join(PACKAGE_ROOT, 'schemas');
export const VECTORS_DIR = join(PACKAGE_ROOT, 'vectors');
export const ARCH_DIR = join(PACKAGE_ROOT, 'vectors', 'arch');

/** A path with its links resolved, for telling two names of one file apart (as given if it cannot be). */
export function realFile(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** The package's version (package.json). */
export function toolVersion(): string {
  return (
    JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
  ).version;
}

/** A path as a person would type it from the current directory. */
export function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r === '' ? '.' : r.startsWith('..') ? p : r;
}

/** Why a file from outside is not read: a FIFO or a device would be read without end, and a file
 * over the size given is not held whole. */
export type Unread =
  | { readonly kind: 'special' }
  | { readonly kind: 'large'; readonly size: number }
  | { readonly kind: 'error'; readonly message: string };
export const NOT_REGULAR = 'not a regular file (a FIFO, a socket or a device)';

/** The text of a regular file of at most `maxBytes`, or why it is not read. */
export function readRegularText(path: string, maxBytes: number): { text: string } | Unread {
  try {
    const st = statSync(path);
    if (!st.isFile()) return { kind: 'special' };
    if (st.size > maxBytes) return { kind: 'large', size: st.size };
    return { text: readFileSync(path, 'utf8') };
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
}

/** A JSON file a user named, or why it cannot be read (for a problem at the file's root). */
export function readJsonInput(
  path: string,
  what: string,
): { ok: true; data: unknown } | { ok: false; message: string } {
  const read = readRegularText(path, MAX_INPUT_BYTES);
  if (!('text' in read)) {
    const why =
      read.kind === 'special'
        ? NOT_REGULAR
        : read.kind === 'large'
          ? `the file is ${read.size} bytes; at most ${MAX_INPUT_BYTES} are read`
          : read.message;
    return { ok: false, message: `cannot read ${what}: ${why}` };
  }
  const { text } = read;
  try {
    const depth = nestingDepth(text);
    if (depth > MAX_INPUT_DEPTH)
      return {
        ok: false,
        message: `cannot read ${what}: it is nested ${depth} levels deep; at most ${MAX_INPUT_DEPTH} are read`,
      };
    return { ok: true, data: JSON.parse(text) };
  } catch (e) {
    const at = locateJsonError(text);
    const why = at
      ? `invalid JSON at line ${at.line} column ${at.column}: expected ${at.expected}`
      : (e as Error).message;
    return { ok: false, message: `cannot read ${what}: ${why}` };
  }
}
