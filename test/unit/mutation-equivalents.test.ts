// mutation/equivalent/ stays true to the sources it describes: every entry names the file it sits
// in, and every context is still text of that file (scripts/mutation-report.ts loadEquivalents).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { loadEquivalents } from '../../scripts/mutation-report.ts';

describe('mutation/equivalent', () => {
  it('loads, every entry naming its file and a context its source still holds', () => {
    expect(loadEquivalents(join(PACKAGE_ROOT, 'mutation/equivalent')).length).toBeGreaterThan(1000);
  });
  it('refuses an entry whose context the source no longer holds', () => {
    const root = mkdtempSync(join(tmpdir(), 'ptvec-equiv-'));
    mkdirSync(join(root, 'src/mm'), { recursive: true });
    mkdirSync(join(root, 'mutation/equivalent/mm'), { recursive: true });
    writeFileSync(join(root, 'src/mm/x.ts'), 'export const a = 1;\n');
    const entry = { file: 'src/mm/x.ts', mutator: '*', reason: 'r' };
    const write = (context: string) =>
      writeFileSync(
        join(root, 'mutation/equivalent/mm/x.json'),
        JSON.stringify([{ ...entry, context }]),
      );
    write('const a = 1');
    expect(loadEquivalents(join(root, 'mutation/equivalent'))).toHaveLength(1);
    write('const b = 2');
    expect(() => loadEquivalents(join(root, 'mutation/equivalent'))).toThrow(
      /\/0\/context is no longer in src\/mm\/x.ts/,
    );
    rmSync(root, { recursive: true });
  });
});
