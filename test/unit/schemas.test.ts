// The contracts' own rules (DESIGN.md "Vectors"): every object closed with additionalProperties: false
// (or a typed map), every field described.

import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMAS_DIR } from '../../runners/paths.ts';
import { loadSchema } from '../../runners/vectors/schemas.ts';

type Node = Record<string, unknown>;

function problems(node: unknown, path: string, out: string[]): string[] {
  if (Array.isArray(node)) node.forEach((n, i) => problems(n, `${path}/${i}`, out));
  if (typeof node !== 'object' || node === null) return out;
  const n = node as Node;
  // A discriminated union (oneOf) is closed by its branches.
  if (
    n.type === 'object' &&
    n.properties !== undefined &&
    n.oneOf === undefined &&
    n.additionalProperties !== false
  ) {
    out.push(`${path}: object with properties is not closed (additionalProperties: false)`);
  }
  if (
    n.type === 'object' &&
    n.properties === undefined &&
    typeof n.additionalProperties !== 'object'
  ) {
    out.push(
      `${path}: object without properties must type its values (additionalProperties: {...})`,
    );
  }
  for (const [k, p] of Object.entries((n.properties ?? {}) as Record<string, Node>)) {
    if (typeof p.description !== 'string' || p.description === '')
      out.push(`${path}/properties/${k}: no description`);
  }
  for (const [k, v] of Object.entries(n)) problems(v, `${path}/${k}`, out);
  return out;
}

describe.each(readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith('.schema.json')))('%s', (file) => {
  it('closes every object and describes every field', () => {
    expect(problems(loadSchema(file), '#', [])).toEqual([]);
  });
});
