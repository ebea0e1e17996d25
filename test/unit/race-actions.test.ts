// The race actions of a vm_ops script (`during`) name themselves in their format errors.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceImplementation } from '../../runners/adapters/reference.ts';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { execute } from '../../runners/run.ts';
import { loadVectors } from '../../runners/load.ts';
import { tmp, writeJson } from './helpers.ts';

describe('a race action on a page no PTE table maps', () => {
  it('is a problem that names the action, zap_pte, not the store it makes', async () => {
    const file = JSON.parse(
      readFileSync(join(PACKAGE_ROOT, 'vectors/fault/riscv64/loop-seed.json'), 'utf8'),
    ) as { vectors: { id: string }[] };
    const v = file.vectors.find((x) => x.id === 'riscv64/fault/loop-seed/sv39/race_zap_pte')!;
    // Far from every mapping of the vector: no PTE table maps it.
    const moved = JSON.parse(
      JSON.stringify(v).replace(
        '"zap_pte":{"addr":"0x0000000010003000"}',
        '"zap_pte":{"addr":"0x0000007000000000"}',
      ),
    ) as { id: string };
    moved.id = `${v.id}-far`;
    expect(JSON.stringify(moved)).toContain('0x0000007000000000');
    const path = writeJson(tmp(), 'zap.json', {
      ...file,
      $schema: join(PACKAGE_ROOT, 'schemas/vector-file.schema.json'),
      vectors: [moved],
    });
    const loaded = loadVectors([path]);
    const report = await execute(referenceImplementation(), loaded, {
      selection: { arch: [], mode: [], family: [], tag: [], grep: [] },
    });
    const said = [
      ...report.problems.map((p) => p.message),
      ...report.results.map((r) => r.reason ?? ''),
    ];
    expect(said.join('\n')).toContain('zap_pte: no PTE table maps 0x7000000000 in the mm');
    expect(said.join('\n')).not.toContain('set_pte:');
  });
});
