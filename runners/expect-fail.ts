// Expected failures: a JSON object mapping vector id to the reason it fails for this implementation.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { displayPath, readJsonInput } from './paths.ts';
import type { Problem } from './vectors/files.ts';

export interface ExpectFail {
  readonly file: string;
  readonly reasons: ReadonlyMap<string, string>;
}

/** Every `*.json` of a directory as one expected-failures file (the QEMU target's, one per arch). */
export function loadExpectFailDir(dir: string, problems: Problem[]): ExpectFail | undefined {
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
    : [];
  const reasons = new Map<string, string>();
  for (const f of files) {
    const one = loadExpectFail(join(dir, f), problems);
    if (one) for (const [id, reason] of one.reasons) reasons.set(id, reason);
  }
  return problems.length ? undefined : { file: displayPath(dir), reasons };
}

export function loadExpectFail(path: string, problems: Problem[]): ExpectFail | undefined {
  const file = displayPath(path);
  const read = readJsonInput(path, 'expectations');
  if (!read.ok) {
    problems.push({ file, pointer: '', message: read.message });
    return undefined;
  }
  const data = read.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    problems.push({
      file,
      pointer: '',
      message: 'expected a JSON object mapping vector id to reason',
    });
    return undefined;
  }
  const reasons = new Map<string, string>();
  for (const [id, reason] of Object.entries(data)) {
    if (typeof reason !== 'string' || reason === '') {
      problems.push({
        file,
        pointer: `/${id.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        message: 'expected a non-empty reason string',
      });
      continue;
    }
    reasons.set(id, reason);
  }
  return { file, reasons };
}
