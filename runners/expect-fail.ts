// Expected failures: a JSON object mapping vector id to the reason it fails for this implementation.

import { displayPath, readJsonInput } from './paths.ts';
import type { Problem } from './vectors/files.ts';

export interface ExpectFail {
  readonly file: string;
  readonly reasons: ReadonlyMap<string, string>;
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
