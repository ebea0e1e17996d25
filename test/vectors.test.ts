// Every vector file is a test suite and every vector a test, named by its id, run against the
// reference engine through the same adapter and comparer as `ptvec run`.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toInput } from '../runners/adapter.ts';
import { observe, REFERENCE_CHOICES } from '../runners/adapters/reference.ts';
import { archProblems } from '../runners/arch.ts';
import { judge } from '../runners/compare.ts';
import { formatMismatch, PLAIN } from '../runners/reporters/pretty.ts';
import { loadVectors } from '../runners/load.ts';

const loaded = loadVectors([]);

describe('the corpus', () => {
  it('loads without problems', () => {
    expect([...archProblems(), ...loaded.problems]).toEqual([]);
  });
  it('names its sources publicly, not by a path on the machine a vector was written on', () => {
    const local = /\/(?:tmp|work|home|root)\/[\w.-]/;
    expect(
      loaded.files.filter((f) => local.test(readFileSync(f.file, 'utf8'))).map((f) => f.file),
    ).toEqual([]);
  });
  it('has vectors for every arch', () => {
    for (const arch of ['x86_64', 'arm64', 'riscv64']) {
      expect(loaded.vectors.filter((v) => v.arch === arch).length).toBeGreaterThan(100);
    }
  });
});

describe.each(loaded.files.map((f) => [f.file, f] as const))('%s', (_name, file) => {
  it.each(file.vectors.map((v) => [v.id, v] as const))('%s', (_id, v) => {
    const j = judge(v, observe(toInput(v)), REFERENCE_CHOICES);
    const detail = [
      j.reason ?? '',
      ...(j.mismatches ?? []).flatMap((m) => formatMismatch(m, PLAIN)),
    ].join('\n');
    expect(j.verdict, detail).toBe('pass');
  });
});
