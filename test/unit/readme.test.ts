// The README's worked example is a real vector: it must validate and pass, and the failure shown in
// "Reading a failure" must be what the pretty reporter prints for an engine that forgets mksaveddirty.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toInput } from '../../runners/adapter.ts';
import { observe } from '../../runners/adapters/reference.ts';
import { judge } from '../../runners/compare.ts';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { formatMismatch, PLAIN } from '../../runners/reporters/pretty.ts';
import { loadVectors } from '../../runners/load.ts';
import { tmp, writeJson } from './helpers.ts';

const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it('links only to what a clone of the repository holds', () => {
    // The worked example's $schema (../../../schemas/...) is inside the repository; nothing else climbs out.
    expect(readme.replace(/"\.\.\/\.\.\/\.\.\/schemas\//g, '')).not.toMatch(/\.\.\//);
    expect(readme).not.toMatch(/shared\//);
    // Every path it names in backticks under a top-level directory of the repository exists.
    const paths = [
      ...readme.matchAll(
        /`((?:vectors|schemas|docs|src|runners|test|bench|examples|scripts|bin)\/[^`\s]*)`/g,
      ),
    ]
      .map((m) => m[1]!.replace(/[:#].*$/, ''))
      .filter((p) => !/[<>*{}]|\.\.\./.test(p));
    expect(paths.length).toBeGreaterThan(10);
    for (const p of paths) expect(existsSync(join(PACKAGE_ROOT, p)), p).toBe(true);
  });

  it("says which refs keys are valid: all of the schema's, and no other", () => {
    const schema = JSON.parse(
      readFileSync(join(PACKAGE_ROOT, 'schemas/common.schema.json'), 'utf8'),
    ) as {
      definitions: { Ref: { pattern: string } };
    };
    const keys = /^\^\((.*)\) /
      .exec(schema.definitions.Ref.pattern)![1]!
      .split('|')
      .map((k) => k.replace(/\\/g, ''));
    const table = readme.slice(readme.indexOf('## Where the facts come from'));
    for (const k of keys) expect(table, k).toContain(`\`${k}\``);
  });

  const example = /```json\n([\s\S]*?)\n```/.exec(readme)?.[1] ?? '';
  const file = join(PACKAGE_ROOT, 'vectors/pte/x86_64/example.json');
  const loaded = loadVectors([file]);

  it('has a worked example that is the checked-in vectors/pte/x86_64/example.json, and passes', () => {
    expect(JSON.parse(example)).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    expect(loaded.problems).toEqual([]);
    const v = loaded.vectors[0]!;
    expect(judge(v, observe(toInput(v)), {}).verdict).toBe('pass');
  });

  it('shows the failure an engine without mksaveddirty really gets', () => {
    const v = loaded.vectors[0]!;
    const j = judge(
      v,
      {
        kind: 'observed',
        steps: [
          { kind: 'result', result: '0x0000000000000061' },
          { kind: 'result', result: false },
          { kind: 'result', result: false },
        ],
      },
      {},
    );
    const lines = (j.mismatches ?? []).flatMap((m) => formatMismatch(m, PLAIN));
    for (const l of lines.slice(0, 3)) expect(readme).toContain(l);
  });

  const exampleFile = (n: number, family: string, ref: string) => ({
    // The package's schema from wherever the test writes the file: $schema leads to it.
    $schema: join(PACKAGE_ROOT, 'schemas/vector-file.schema.json'),
    formatVersion: 1,
    family,
    title: 'README example',
    refs: [ref],
    defaults: { arch: 'x86_64', mode: '4level' },
    vectors: [
      JSON.parse([...readme.matchAll(/```json\n([\s\S]*?)\n```/g)][n]?.[1] ?? '') as unknown,
    ],
  });

  it.each([
    ['a hardware example (a tlb vector)', 1, 'tlb', 'intel-sdm §4.10.4.1'],
    [
      'a walk example (pte_entry on an empty PTE, a positive return)',
      2,
      'walk',
      'linux-v6.19 mm/pagewalk.c:30 walk_pte_range_inner',
    ],
    [
      'a fault example (vma_set_page_prot, vma_wants_writenotify)',
      3,
      'fault',
      'linux-v6.19 mm/mmap.c:81 vma_set_page_prot',
    ],
    [
      'the fault loop example (a store, page_mkwrite, wp_page_reuse)',
      4,
      'fault',
      'linux-v6.19 mm/memory.c:3914 wp_page_shared',
    ],
    [
      'a dirty example (clean_record_shared_mapping_range)',
      5,
      'dirty',
      'linux-v6.19 mm/mapping_dirty_helpers.c:89 clean_record_pte',
    ],
    [
      'a uffd example (a write-protected store waits, UFFDIO_WRITEPROTECT resolves and wakes it)',
      6,
      'uffd',
      'linux-v6.19 fs/userfaultfd.c:381 handle_userfault',
    ],
  ])('has %s that validates and passes', (_what, n, family, ref) => {
    const r = loadVectors([writeJson(tmp(), `${family}.json`, exampleFile(n, family, ref))]);
    expect(r.problems).toEqual([]);
    const v = r.vectors[0]!;
    expect(judge(v, observe(toInput(v)), {}).verdict).toBe('pass');
  });
});
