// Where the package's own data lives, and how files are named in messages.

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
