// Where the package's own data lives, how files are named in messages, and reading a JSON input.

import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SCHEMAS_DIR = fileURLToPath(new URL('../schemas', import.meta.url));
export const VECTORS_DIR = fileURLToPath(new URL('../vectors', import.meta.url));
export const ARCH_DIR = fileURLToPath(new URL('../vectors/arch', import.meta.url));

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
    return { ok: true, data: JSON.parse(readFileSync(path, 'utf8')) };
  } catch (e) {
    return { ok: false, message: `cannot read ${what}: ${(e as Error).message}` };
  }
}
