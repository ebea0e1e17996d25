// Generated code is checked in; this fails when it no longer matches its sources.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { generateAll } from '../../scripts/gen-types.ts';
import { generateValidators } from '../../scripts/gen-validators.ts';

describe('generated files', async () => {
  const generated = new Map([...(await generateAll()), ...generateValidators()]);
  it.each([...generated.keys()])('%s is fresh (run `npm run gen:types` if not)', (target) => {
    expect(readFileSync(join(PACKAGE_ROOT, target), 'utf8')).toBe(generated.get(target));
  });
});
