// The library API (runners/api.ts, the package's `exports`): what it exports and that it runs; its
// declaration file compiles alone (no @types/node) and names only types it exports; the examples
// import it as users do; and package.json points at files the build (pretest) makes.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as api from '../../runners/api.ts';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { tmp, vectorFile, writeJson, dirtyVector } from './helpers.ts';

const FUNCTIONS = [
  'loadVectors',
  'select',
  'referenceImplementation',
  'execImplementation',
  'run',
  'execute',
  'judge',
  'exitCode',
  'summarize',
  'loadExpectFail',
  'render',
  'renderJson',
  'renderJunit',
  'renderTap',
  'renderHtml',
  'renderPretty',
  'mergeReports',
  'lint',
] as const;

const small = { arch: ['riscv64'], family: ['layout'] };

describe('the library API', () => {
  it('exports the functions and constants of the documented surface', () => {
    for (const f of FUNCTIONS) expect(typeof api[f], f).toBe('function');
    expect(existsSync(api.VECTORS_DIR)).toBe(true);
    expect(api.REPORTERS).toEqual(['pretty', 'json', 'junit', 'tap', 'html']);
    expect(typeof api.PLAIN.red).toBe('function');
    expect(typeof api.COLOUR.red).toBe('function');
  });

  it('runs a family on the reference engine: every vector passes', async () => {
    const report = await api.run(api.referenceImplementation(), { selection: small });
    expect(report.summary.total).toBeGreaterThan(10);
    expect(report.summary.passed).toBe(report.summary.total);
    expect(report.problems).toEqual([]);
    expect(api.exitCode(report)).toBe(0);
    expect(report.results.every((r) => r.arch === 'riscv64' && r.family === 'layout')).toBe(true);
  });

  it("keeps the answers given before an implementation's run throws, and says what it did", async () => {
    const ref = api.referenceImplementation();
    // Answers the first two vectors (and an index it was not given), then throws.
    const broken: api.Implementation = {
      ...ref,
      name: 'broken',
      run: async (vectors, answered) => {
        await ref.run(vectors.slice(0, 2), answered);
        answered(vectors.length + 7, { kind: 'error', reason: 'stray' });
        throw new Error('out of cheese');
      },
    };
    const report = await api.run(broken, { selection: small });
    const verdicts = report.results.map((r) => r.verdict);
    expect(verdicts.filter((v) => v === 'pass')).toHaveLength(2);
    expect(verdicts.filter((v) => v === 'error')).toHaveLength(report.summary.total - 2);
    expect(report.results.find((r) => r.verdict === 'error')?.reason).toBe(
      "not answered: the implementation's run failed: out of cheese",
    );
    expect(report.problems).toEqual([
      {
        file: 'implementation broken',
        pointer: '',
        message: `answered an index it was not given, ${report.summary.total + 7}: the indices are 0 to ${report.summary.total - 1}`,
        severity: 'warning',
      },
    ]);
    expect(api.exitCode(report)).toBe(1);
  });

  it('renders every format, as the reporters do', async () => {
    const report = await api.run(api.referenceImplementation(), { selection: small });
    expect(api.render(report, 'json')).toBe(api.renderJson(report));
    expect(api.render(report, 'pretty')).toBe(api.renderPretty(report, api.PLAIN));
    for (const name of api.REPORTERS) expect(api.render(report, name).length).toBeGreaterThan(0);
  });

  it('runs loaded vectors and an expected-failures file, as ptvec run does', async () => {
    const dir = tmp();
    const file = writeJson(dir, 'dirty.json', vectorFile([dirtyVector('x86_64/pte/t/d', false)]));
    const loaded = api.loadVectors([file]);
    expect(loaded.problems).toEqual([]);
    const failing = await api.run(api.referenceImplementation(), { vectors: loaded });
    expect(failing.summary.failed).toBe(1);
    expect(api.exitCode(failing)).toBe(1);
    const known = writeJson(dir, 'known.json', { 'x86_64/pte/t/d': 'a wrong expectation' });
    const expected = await api.run(api.referenceImplementation(), {
      vectors: [file],
      expectFail: known,
    });
    expect(expected.summary.xfailed).toBe(1);
    expect(api.exitCode(expected)).toBe(0);
  });

  it('selects and executes with filters that leave some out, as run does', async () => {
    const loaded = api.loadVectors([join(api.VECTORS_DIR, 'layout')]);
    const picked = api.select(small, loaded.vectors);
    expect(picked.length).toBeGreaterThan(0);
    expect(picked.every((v) => v.arch === 'riscv64' && v.family === 'layout')).toBe(true);
    expect(api.select({}, loaded.vectors)).toHaveLength(loaded.vectors.length);
    const r = await api.execute(api.referenceImplementation(), loaded, { selection: small });
    expect(r.summary.total).toBe(picked.length);
    expect(r.summary.passed).toBe(picked.length);
  });

  it('names a filter that is not what the types say, for a JavaScript caller', async () => {
    const ref = api.referenceImplementation();
    const loaded = api.loadVectors([join(api.VECTORS_DIR, 'layout')]);
    const cases: [unknown, string][] = [
      [{ family: 'pte' }, 'selection.family: expected an array of strings'],
      [{ grep: ['audit'] }, 'selection.grep: expected an array of RegExp'],
      [{ shard: { index: 4, count: 3 } }, 'selection.shard: expected { index, count }'],
      ['pte', 'selection: expected an object of filters'],
    ];
    for (const [bad, message] of cases) {
      const selection = bad as api.Filters;
      await expect(api.run(ref, { selection })).rejects.toThrow(message);
      expect(() => api.select(selection, loaded.vectors)).toThrow(message);
      await expect(api.execute(ref, loaded, { selection })).rejects.toThrow(message);
    }
  });

  it('refuses a filter value that names nothing, and an unreadable expected-failures file', async () => {
    const ref = api.referenceImplementation();
    await expect(api.run(ref, { selection: { family: ['ptes'] } })).rejects.toThrow(
      /family ptes: expected one of/,
    );
    await expect(api.run(ref, { expectFail: join(tmp(), 'missing.json') })).rejects.toThrow(
      /cannot read expectations/,
    );
  });
});

/** The names of the types and values a declaration names, with the file declaring each. */
function namedIn(node: ts.Node, checker: ts.TypeChecker, out: Map<ts.Symbol, string>): void {
  const target =
    ts.isTypeReferenceNode(node) || ts.isTypeQueryNode(node)
      ? ts.isTypeReferenceNode(node)
        ? node.typeName
        : node.exprName
      : ts.isExpressionWithTypeArguments(node)
        ? node.expression
        : undefined;
  if (target) {
    let s = checker.getSymbolAtLocation(target);
    if (s && s.flags & ts.SymbolFlags.Alias) s = checker.getAliasedSymbol(s);
    const file = s?.declarations?.[0]?.getSourceFile().fileName;
    if (s && file && !(s.flags & ts.SymbolFlags.TypeParameter)) out.set(s, file);
  }
  ts.forEachChild(node, (c) => namedIn(c, checker, out));
}

describe('dist/runners/api.d.ts', () => {
  const entry = join(PACKAGE_ROOT, 'dist/runners/api.d.ts');
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    types: [],
  });
  const checker = program.getTypeChecker();

  it('compiles alone, with strict checks and no Node.js types', () => {
    const errors = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(errors).toEqual([]);
  });

  it('names only types it exports itself', () => {
    const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
    const resolve = (s: ts.Symbol) =>
      s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    const exported = new Set(checker.getExportsOfModule(module).map(resolve));
    const inPackage = (f: string) => f.startsWith(join(PACKAGE_ROOT, 'dist/'));
    // Walk what the exports name, through the package's own declarations; generated schema types
    // (vectors/generated/) are exported at their entry points (Vector, Step, ...), not walked.
    const named = new Map<ts.Symbol, string>();
    const seen = new Set<ts.Symbol>();
    const generated = (s: ts.Symbol) =>
      s.declarations?.[0]?.getSourceFile().fileName.includes('/generated/') ?? false;
    const queue = [...exported].filter((s) => !generated(s));
    while (queue.length) {
      const s = queue.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      const found = new Map<ts.Symbol, string>();
      for (const d of s.declarations ?? []) namedIn(d, checker, found);
      for (const [t, file] of found) {
        if (!inPackage(file) || t.flags & ts.SymbolFlags.Property) continue;
        named.set(t, file);
        if (!generated(t)) queue.push(t);
      }
    }
    const missing = [...named.keys()].filter((s) => !exported.has(s)).map((s) => s.name);
    expect(missing).toEqual([]);
  });
});

describe('package.json', () => {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    main: string;
    types: string;
    bin: Record<string, string>;
    files: string[];
    exports: Record<string, string | { types: string; default: string }>;
  };

  it('points exports, main, types and bin at files the build makes', () => {
    const root = pkg.exports['.'];
    expect(root).toEqual({ types: pkg.types, default: pkg.main });
    for (const p of [pkg.main, pkg.types, ...Object.values(pkg.bin)])
      expect(existsSync(at(p)), p).toBe(true);
    expect(pkg.exports['./package.json']).toBe('./package.json');
    expect(existsSync(at('schemas/vector-file.schema.json'))).toBe(true);
  });

  it('lists in files only what exists (the QEMU harnesses are built by prepack)', () => {
    for (const f of pkg.files.filter((f) => !f.startsWith('!') && f !== 'build/qemu'))
      expect(existsSync(at(f)), f).toBe(true);
  });
});

describe('the examples', () => {
  it("import the library only as 'ptvec', as a user's project does", () => {
    const dir = at('examples/ts-sim');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const { importedFiles } = ts.preProcessFile(readFileSync(join(dir, f), 'utf8'), true, true);
      for (const i of importedFiles.map((x) => x.fileName))
        expect(
          i === 'ptvec' || i === 'vitest' || /^\.\/[\w-]+\.ts$/.test(i),
          `${f} imports ${i}`,
        ).toBe(true);
    }
  });
});

function at(p: string): string {
  return join(PACKAGE_ROOT, p);
}
