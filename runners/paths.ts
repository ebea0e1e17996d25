// Where the package's own data lives, how files are named in messages, and reading a JSON input.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nestingDepth } from './json-depth.ts';

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

/** A JSON file a user named, or why it cannot be read (for a problem at the file's root). */
export function readJsonInput(
  path: string,
  what: string,
): { ok: true; data: unknown } | { ok: false; message: string } {
  try {
    // Not a FIFO or a device (read without end), nor more than a string can hold.
    const st = statSync(path);
    if (!st.isFile())
      return {
        ok: false,
        message: `cannot read ${what}: not a regular file (a FIFO, a socket or a device)`,
      };
    if (st.size > MAX_INPUT_BYTES)
      return {
        ok: false,
        message: `cannot read ${what}: the file is ${st.size} bytes; at most ${MAX_INPUT_BYTES} are read`,
      };
    const text = readFileSync(path, 'utf8');
    const depth = nestingDepth(text);
    if (depth > MAX_INPUT_DEPTH)
      return {
        ok: false,
        message: `cannot read ${what}: it is nested ${depth} levels deep; at most ${MAX_INPUT_DEPTH} are read`,
      };
    return { ok: true, data: JSON.parse(text) };
  } catch (e) {
    return { ok: false, message: `cannot read ${what}: ${(e as Error).message}` };
  }
}
