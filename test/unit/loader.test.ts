import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lint } from '../../runners/lint.ts';
import { loadVectors } from '../../runners/load.ts';
import { duplicateKeys } from '../../runners/vectors/json-duplicates.ts';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { MAX_SCHEMA_ERRORS } from '../../runners/vectors/generated/validators.js';
import { MAX_EXPECT_NESTING } from '../../runners/vectors/semantics.ts';
import { dirtyVector, tmp, vectorFile, writeJson } from './helpers.ts';

describe('loading vector files', () => {
  it('loads a valid file and fills in config defaults', () => {
    const d = tmp();
    writeJson(d, 'ok.json', vectorFile([dirtyVector('x86_64/pte/t/ok')]));
    const r = loadVectors([d]);
    expect(r.problems).toEqual([]);
    expect(r.vectors.map((v) => v.id)).toEqual(['x86_64/pte/t/ok']);
    expect(r.vectors[0]?.config.CONFIG_MEM_SOFT_DIRTY).toBe(true);
    expect(r.vectors[0]?.config.X86_FEATURE_SHSTK).toBe(false);
  });

  it('names the file, the JSON pointer and what was expected for a bad value, and keeps the other vectors', () => {
    const d = tmp();
    const bad = {
      ...dirtyVector('x86_64/pte/t/bad'),
      steps: [{ op: 'pte_dirty', args: { pte: '0x67' }, expect: { result: true } }],
    };
    const f = writeJson(d, 'mixed.json', vectorFile([dirtyVector('x86_64/pte/t/good'), bad]));
    const r = loadVectors([f]);
    expect(r.vectors.map((v) => v.id)).toEqual(['x86_64/pte/t/good']);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]?.file).toMatch(/mixed\.json$/);
    expect(r.problems[0]?.pointer).toBe('/vectors/1/steps/0/args/pte');
    expect(r.problems[0]?.message).toMatch(/Hex64 string \(0x and 16 lowercase hex digits\)/);
  });

  it('counts the flags of a refused vector as citing their notes: no false "not cited" warning', () => {
    const d = tmp();
    const bad = {
      ...dirtyVector('x86_64/pte/t/bad'),
      flags: ['N'],
      steps: [{ op: 'pte_dirty', args: { pte: '0x67' }, expect: { result: true } }],
    };
    const notes = { notes: { N: { description: 'a note' } } };
    const cited = writeJson(
      d,
      'cited.json',
      vectorFile([dirtyVector('x86_64/pte/t/a'), bad], notes),
    );
    const r = loadVectors([cited]);
    expect(r.problems.map((p) => p.pointer)).toEqual(['/vectors/1/steps/0/args/pte']);
    const e = tmp();
    const unused = writeJson(e, 'unused.json', vectorFile([dirtyVector('x86_64/pte/t/b')], notes));
    expect(loadVectors([unused]).problems).toEqual([
      {
        file: expect.stringMatching(/unused\.json$/),
        pointer: '/notes/N',
        message: 'note "N" is not cited by any vector\'s flags',
        severity: 'warning',
      },
    ]);
  });

  it('reports a wrong result type at the expectation', () => {
    const d = tmp();
    const f = writeJson(
      d,
      'type.json',
      vectorFile([dirtyVector('x86_64/pte/t/type', '0x0000000000000001')]),
    );
    const r = loadVectors([f]);
    expect(r.problems).toEqual([
      {
        file: expect.stringMatching(/type\.json$/),
        pointer: '/vectors/0/steps/0/expect/result',
        message: 'expected boolean',
      },
    ]);
  });

  it("names only the errors of the form a oneOf's value is meant as (a riscv64 fault report)", () => {
    const corpus = JSON.parse(
      readFileSync(join(PACKAGE_ROOT, 'vectors/mmu/riscv64/walk.json'), 'utf8'),
    ) as { vectors: unknown[] };
    const withReport = (report: unknown) => {
      const v = corpus.vectors.find((x) => JSON.stringify(x).includes('"scause"'));
      const text = JSON.stringify(v).replace(
        /"report":\{[^}]*\}/,
        `"report":${JSON.stringify(report)}`,
      );
      const $schema = join(PACKAGE_ROOT, 'schemas/vector-file.schema.json');
      return { ...corpus, $schema, vectors: [JSON.parse(text) as unknown] };
    };
    const d = tmp();
    const stval = '0x0000000000000000';
    const meant = loadVectors([writeJson(d, 'r.json', withReport({ scause: '0xf', stval }))]);
    expect(meant.problems.map((p) => [p.pointer.replace(/.*\/report/, ''), p.message])).toEqual([
      ['/scause', 'expected integer'],
      ['/scause', 'expected one of: 0, 1, 5, 7, 12, 13, 15'],
    ]);
    // A member missing: the form it misses least from is the one meant (riscv64 has two members).
    const missing = loadVectors([writeJson(d, 'm.json', withReport({ scause: 15 }))]);
    expect(missing.problems.map((p) => [p.pointer.replace(/.*\/report/, ''), p.message])).toEqual([
      ['', 'missing required property "stval"'],
    ]);
    // No form fits better than another: each one's errors are shown.
    const e = tmp();
    const none = loadVectors([writeJson(e, 'r.json', withReport({}))]);
    const said = none.problems.map((p) => p.message).join('\n');
    for (const m of ['"exception"', '"ec"', '"scause"']) expect(said).toContain(m);
  });

  it('says what an id looks like: its characters, and at least <arch>/<family>/<topic>/<case>', () => {
    const d = tmp();
    const r = loadVectors([
      writeJson(
        d,
        'ids.json',
        vectorFile([dirtyVector('x86_64/pte/Mine'), dirtyVector('x86_64/pte/mine')]),
      ),
    ]);
    expect(r.problems.map((p) => [p.pointer, p.message])).toEqual([
      [
        '/vectors/0/id',
        'expected an id of lowercase letters, digits and _, in parts joined by /, . or -, e.g. x86_64/pte/example/wrprotect-dirty',
      ],
      [
        '/vectors/1/id',
        'expected the id as <arch>/<family>/<topic>/<case>, e.g. "x86_64/pte/mine/case"',
      ],
    ]);
  });

  it('says what a ref looks like and names its sources, not the regular expression', () => {
    const d = tmp();
    const r = loadVectors([
      writeJson(
        d,
        'refs.json',
        vectorFile([dirtyVector('x86_64/pte/t/r')], { refs: ['Linux mm/memory.c:1'] }),
      ),
    ]);
    expect(r.problems.map((p) => [p.pointer, p.message])).toEqual([
      [
        '/refs/0',
        'expected a source, a space, then where in it, e.g. "linux-v6.19 mm/memory.c:3868 finish_mkwrite_fault"; the sources: linux-v6.19, linux-v6.18, linux-v7.0, linux-2005, linux-2019, linux-2021, intel-sdm, arm-arm, arm-asl, riscv-priv, qemu-7.2, kernel-facts, hw-facts',
      ],
    ]);
  });

  it('warns of a $schema that leads to no schema from the file (an editor would find none), and not of a URL', () => {
    const d = tmp();
    const v = [dirtyVector('x86_64/pte/t/s')];
    const lost = loadVectors([
      writeJson(
        d,
        'lost.json',
        vectorFile(v, { $schema: '../../../schemas/vector-file.schema.json' }),
      ),
    ]);
    expect(lost.vectors).toHaveLength(1);
    expect(lost.problems).toEqual([
      {
        file: expect.stringMatching(/lost\.json$/),
        pointer: '/$schema',
        message: expect.stringMatching(
          /^"\.\.\/\.\.\/\.\.\/schemas\/vector-file\.schema\.json" leads to no vector-file\.schema\.json from this file/,
        ),
        severity: 'warning',
      },
    ]);
    const e = tmp();
    const url = 'https://ptvec.dev/schemas/vector-file.schema.json';
    expect(
      loadVectors([writeJson(e, 'url.json', vectorFile(v, { $schema: url }))]).problems,
    ).toEqual([]);
  });

  it('refuses an integer past 2^53 - 1 in an expectation: JSON.parse has already rounded it', () => {
    const d = tmp();
    const v = {
      id: 'x86_64/pte/t/type',
      description: 'swp_type',
      steps: [{ op: 'swp_type', args: { entry: '0x0000000000000067' }, expect: { result: 0 } }],
    };
    const text = JSON.stringify(vectorFile([v])).replace('"result":0', '"result":9007199254740993');
    const r = loadVectors([writeJson(d, 'big.json', text)]);
    expect(r.problems.map((p) => [p.pointer, p.message])).toEqual([
      [
        '/vectors/0/steps/0/expect/result',
        'expected an integer JSON reads exactly: from -(2^53 - 1) to 2^53 - 1 (9007199254740991)',
      ],
    ]);
  });

  it('finds the keys an object has twice, which JSON.parse drops silently, with their pointers', () => {
    expect(duplicateKeys('{"a": 1, "b": {"c": [1, {"d": 2, "d": 3}]}, "a": 4}')).toEqual([
      { pointer: '/b/c/1/d', key: 'd' },
      { pointer: '/a', key: 'a' },
    ]);
    // Strings that look like JSON, escaped quotes and backslashes, and escaped keys.
    expect(duplicateKeys('{"s": "{\\"x\\": 1, \\"x\\": 2}", "t\\\\": 1, "e": "\\\\"}')).toEqual([]);
    expect(duplicateKeys('{"\\u0041": 1, "A": 2, "x~/y": {"k": 1, "k": 1}}')).toEqual([
      { pointer: '/A', key: 'A' },
      { pointer: '/x~0~1y/k', key: 'k' },
    ]);
    // An object of many keys costs linear time: its keys go into a Set.
    const many = `{${Array.from({ length: 200_000 }, (_, i) => `"k${i}": ${i}`).join(', ')}, "k7": 0}`;
    expect(duplicateKeys(many)).toEqual([{ pointer: '/k7', key: 'k7' }]);
  });

  it('lint warns of a step with two expect members, of which the run keeps the last', () => {
    const d = tmp();
    const text = JSON.stringify(vectorFile([dirtyVector('x86_64/pte/t/two')])).replace(
      '"expect":{"result":true}',
      '"expect":{"result":false},"expect":{"result":true}',
    );
    const r = lint([writeJson(d, 'two.json', text)]);
    expect(r.vectors).toBe(1);
    expect(r.problems).toEqual([
      {
        file: expect.stringMatching(/two\.json$/),
        pointer: '/vectors/0/steps/0/expect',
        message:
          'the key "expect" is given twice in one object: JSON keeps the last, and the first is lost',
        severity: 'warning',
      },
    ]);
  });

  it('explains an unknown op', () => {
    const d = tmp();
    const v = {
      id: 'x86_64/pte/t/op',
      description: 'd',
      steps: [{ op: 'pte_mkfoo', args: { pte: '0x0000000000000000' }, expect: { result: true } }],
    };
    const r = loadVectors([writeJson(d, 'op.json', vectorFile([v]))]);
    expect(r.problems[0]?.pointer).toBe('/vectors/0/steps/0');
    expect(r.problems[0]?.message).toMatch(/unknown op "pte_mkfoo"/);
    expect(r.problems[0]?.message).not.toMatch(/did you mean/);
    // A typo of an op is said to be one.
    const typo = { ...v, id: 'x86_64/pte/t/typo', steps: [{ ...v.steps[0], op: 'pte_mkdrity' }] };
    const t = loadVectors([writeJson(d, 'typo.json', vectorFile([typo]))]);
    expect(t.problems[0]?.message).toBe(
      'unknown op "pte_mkdrity": did you mean "pte_mkdirty"? It is not an op of the vector format (see schemas/vector-file.schema.json definitions/*Step)',
    );
  });

  it('drops a whole file whose envelope is wrong, and says where', () => {
    const d = tmp();
    writeJson(
      d,
      'env.json',
      vectorFile([dirtyVector('x86_64/pte/t/env')], { defaults: { arch: 'mips', mode: '4level' } }),
    );
    writeJson(d, 'fine.json', vectorFile([dirtyVector('x86_64/pte/t/fine')]));
    const r = loadVectors([d]);
    expect(r.vectors.map((v) => v.id)).toEqual(['x86_64/pte/t/fine']);
    expect(r.problems[0]).toMatchObject({
      pointer: '/defaults/arch',
      message: expect.stringMatching(/^expected one of: "x86_64", "arm64", "riscv64"$/),
    });
  });

  it('gives the line and column of invalid JSON', () => {
    const d = tmp();
    writeJson(d, 'syntax.json', '{\n  "formatVersion": 1,\n  "family": pte\n}');
    const r = loadVectors([d]);
    expect(r.problems[0]?.message).toMatch(/^invalid JSON at line 3 column \d+/);
    expect(r.problems[0]?.pointer).toBe('');
  });

  it('says that a file begins with a byte order mark, which JSON.parse reports as line 1 column 1', () => {
    const d = tmp();
    writeJson(
      d,
      'bom.json',
      `\ufeff${JSON.stringify(vectorFile([dirtyVector('x86_64/pte/t/bom')]))}`,
    );
    const r = loadVectors([d]);
    expect(r.problems[0]?.message).toBe(
      'invalid JSON: the file begins with a byte order mark (U+FEFF); save it as UTF-8 without one',
    );
    expect(r.vectors).toEqual([]);
  });

  it('stops checking a file at MAX_SCHEMA_ERRORS errors, in time linear in the file, and loads the other files', () => {
    // 30,000 empty vectors: three errors each (no id, description or steps). Gathered as ajv's code
    // gathers them, a copy of all the errors so far for each vector, this took 9 s; 300,000, hours.
    const d = tmp();
    writeJson(d, 'a-ok.json', vectorFile([dirtyVector('x86_64/pte/t/ok')]));
    writeJson(d, 'b-empty.json', vectorFile(Array.from({ length: 30_000 }, () => ({}))));
    const r = loadVectors([d]);
    expect(r.vectors.map((v) => v.id)).toEqual(['x86_64/pte/t/ok']);
    expect(r.problems).toHaveLength(MAX_SCHEMA_ERRORS + 1);
    expect(r.problems[0]).toMatchObject({
      pointer: '/vectors/0',
      message: 'missing required property "id"',
    });
    // The 1000th error is the first of vector 333 (three for each before it).
    expect(r.problems.at(-2)?.pointer).toBe(`/vectors/${Math.floor(MAX_SCHEMA_ERRORS / 3)}`);
    expect(r.problems.at(-1)).toMatchObject({
      pointer: '',
      message: `more than ${MAX_SCHEMA_ERRORS} schema errors: the check stopped after the first ${MAX_SCHEMA_ERRORS}, and nothing after them was checked`,
    });
  });

  it('refuses expectations nested deeper than its checks recurse, and loads the other files', () => {
    const nested = (depth: number) => {
      let e: unknown = { result: true };
      for (let i = 0; i < depth; i++) e = { either: [e, { result: false }] };
      return {
        ...dirtyVector(`x86_64/pte/t/deep${depth}`),
        steps: [{ ...dirtyVector('x').steps[0], expect: e }],
      };
    };
    const d = tmp();
    writeJson(d, 'a-ok.json', vectorFile([dirtyVector('x86_64/pte/t/ok')]));
    // JSON.parse takes any depth; the schema's validators recurse, and ran out of stack. (Made as
    // text: JSON.stringify recurses too.)
    const deep = JSON.stringify(vectorFile([nested(1)])).replace(
      '{"either":[{"result":true},{"result":false}]}',
      `${'{"either":['.repeat(20_000)}{"result":true}${',{"result":false}]}'.repeat(20_000)}`,
    );
    writeJson(d, 'b-deep.json', deep.replace('deep1', 'deep20000'));
    writeJson(
      d,
      'c-nine.json',
      vectorFile([nested(MAX_EXPECT_NESTING), nested(MAX_EXPECT_NESTING + 1)]),
    );
    // A text nested so deep that even the scan for the place of a JSON error runs out of stack.
    writeJson(d, 'd-bad.json', `${'['.repeat(100_000)}}`);
    const r = loadVectors([d]);
    expect(r.vectors.map((v) => v.id)).toEqual([
      'x86_64/pte/t/ok',
      `x86_64/pte/t/deep${MAX_EXPECT_NESTING}`,
    ]);
    expect(r.problems.map((p) => [p.file.split('/').pop(), p.pointer, p.message])).toEqual([
      ['b-deep.json', '', 'nested too deeply to be checked against the schema'],
      ['d-bad.json', '', expect.stringMatching(/^invalid JSON: /)],
      [
        'c-nine.json',
        `/vectors/1/steps/0/expect${'/either/0'.repeat(MAX_EXPECT_NESTING + 1)}`,
        `expected "either" and "byChoice" nested at most ${MAX_EXPECT_NESTING} deep`,
      ],
    ]);
  });

  it('reads only regular files, each once: no FIFO or device, no loop of symbolic links', () => {
    const d = tmp();
    const f = writeJson(d, 'ok.json', vectorFile([dirtyVector('x86_64/pte/t/ok')]));
    execFileSync('mkfifo', [join(d, 'pipe.json')]);
    symlinkSync('/dev/zero', join(d, 'zero.json'));
    symlinkSync('.', join(d, 'self'));
    mkdirSync(join(d, 'sub'));
    symlinkSync('..', join(d, 'sub', 'back'));
    symlinkSync('ok.json', join(d, 'again.json'));
    const r = loadVectors([d, f]);
    expect(r.vectors.map((v) => v.id)).toEqual(['x86_64/pte/t/ok']);
    expect(r.problems.map((p) => [p.file.split('/').pop(), p.message])).toEqual([
      ['pipe.json', 'not a regular file (a FIFO, a socket or a device)'],
      ['zero.json', 'not a regular file (a FIFO, a socket or a device)'],
    ]);
    // The other vector files of a corpus are read for their ids, with the same care.
    const corpus = join(tmp(), 'vectors', 'pte', 'x86_64');
    mkdirSync(corpus, { recursive: true });
    const mine = writeJson(corpus, 'mine.json', vectorFile([dirtyVector('x86_64/pte/t/mine')]));
    execFileSync('mkfifo', [join(corpus, 'pipe.json')]);
    expect(loadVectors([mine]).problems).toEqual([]);
  });

  it('names three of the other places of a duplicate id and counts the rest, so n duplicates cost n, not n²', () => {
    const d = tmp();
    const n = 3000;
    writeJson(
      d,
      'dup.json',
      vectorFile(Array.from({ length: n }, () => dirtyVector('x86_64/pte/t/d'))),
    );
    const r = loadVectors([d]);
    expect(r.vectors).toEqual([]);
    expect(r.problems).toHaveLength(n);
    const at = (i: number) => `${r.problems[0]!.file}#/vectors/${i}`;
    expect(r.problems[0]?.message).toBe(
      `duplicate id "x86_64/pte/t/d": also at ${at(1)}, ${at(2)}, ${at(3)} and ${n - 4} more`,
    );
    expect(r.problems[2]?.message).toBe(
      `duplicate id "x86_64/pte/t/d": also at ${at(0)}, ${at(1)}, ${at(3)} and ${n - 4} more`,
    );
    expect(Math.max(...r.problems.map((p) => p.message.length))).toBeLessThan(300);
  });

  it('rejects duplicate ids across files and references to unknown steps', () => {
    const d = tmp();
    writeJson(d, 'a.json', vectorFile([dirtyVector('x86_64/pte/t/dup')]));
    const ref = {
      id: 'x86_64/pte/t/ref',
      description: 'd',
      steps: [{ op: 'pte_dirty', args: { pte: { step: 'nope' } }, expect: { result: true } }],
    };
    writeJson(d, 'b.json', vectorFile([dirtyVector('x86_64/pte/t/dup'), ref]));
    const r = loadVectors([d]);
    const msgs = r.problems.map((p) => `${p.pointer} ${p.message}`);
    // Neither file is older than the other: both vectors are reported, each naming the other.
    expect(msgs).toContainEqual(
      expect.stringMatching(
        /^\/vectors\/0\/id duplicate id "x86_64\/pte\/t\/dup": also at .*b\.json#\/vectors\/0$/,
      ),
    );
    expect(msgs).toContainEqual(
      expect.stringMatching(
        /^\/vectors\/0\/id duplicate id "x86_64\/pte\/t\/dup": also at .*a\.json#\/vectors\/0$/,
      ),
    );
    expect(r.vectors.map((v) => v.id)).toEqual([]);
    expect(msgs).toContainEqual(
      '/vectors/1/steps/0/args/pte expected the name of an earlier step; "nope" is not one',
    );
  });

  it('requires an expect on a step whose value a later step uses', () => {
    const d = tmp();
    const v = {
      id: 'x86_64/pte/t/unpinned',
      description: 'd',
      steps: [
        { op: 'pte_mkdirty', name: 'p', args: { pte: '0x0000000000000001' } },
        { op: 'pte_dirty', args: { pte: { step: 'p' } }, expect: { result: true } },
      ],
    };
    writeJson(d, 'a.json', vectorFile([v]));
    const r = loadVectors([d]);
    expect(r.problems.map((p) => `${p.pointer} ${p.message}`)).toEqual([
      '/vectors/0/steps/0 step "p" feeds step 1, so it needs its own "expect"',
    ]);
    expect(r.vectors).toEqual([]);
  });

  it('reports a path that does not exist', () => {
    const r = loadVectors(['/nonexistent/ptvec']);
    expect(r.problems[0]?.message).toBe('no such file or directory');
  });
});
