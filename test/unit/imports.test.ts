// The import graph of src/ and runners/: no cycle, and src/'s layers in one order, each importing only
// the layers below it (bits, then config and errors, ops, layout, machine, mm, arch, and the engine on
// top), one arch never importing another; the vector loader imports no implementation.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runners/paths.ts';

type Graph = ReadonlyMap<string, readonly string[]>;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? tsFiles(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

/** Every relative import (static, type-only, re-export or dynamic) of the files, by package path. */
function importGraph(roots: readonly string[]): Graph {
  const files = roots.flatMap((r) => tsFiles(join(PACKAGE_ROOT, r)));
  const known = new Set(files);
  const g = new Map<string, string[]>();
  for (const f of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(f, 'utf8'), true, true);
    const deps = importedFiles
      .map((i) => i.fileName)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolve(dirname(f), s))
      .filter((d) => known.has(d));
    g.set(rel(f), [...new Set(deps.map(rel))]);
  }
  return g;
}
const rel = (f: string) => relative(PACKAGE_ROOT, f).split(sep).join('/');

/** The cycles of a graph: its strongly connected components of more than one file, or a file that
 * imports itself (Tarjan). */
export function cycles(g: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (g.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** src/'s layers, bottom first. */
const LAYERS: readonly (readonly string[])[] = [
  ['src/bits/'],
  ['src/config.ts', 'src/errors.ts'],
  ['src/ops/'],
  ['src/layout/'],
  ['src/machine/'],
  ['src/mm/'],
  ['src/arch/'],
  ['src/registry.ts', 'src/engine.ts', 'src/index.ts'],
];
function layerOf(f: string): number {
  const i = LAYERS.findIndex((l) => l.some((p) => (p.endsWith('/') ? f.startsWith(p) : f === p)));
  if (i < 0) throw new Error(`${f} is in no layer of src/: add it to LAYERS`);
  return i;
}
const ARCHES = ['x86_64', 'arm64', 'riscv64'];
const archOf = (f: string) => ARCHES.find((a) => f.split('/').includes(a));

describe('the import graph', () => {
  const g = importGraph(['src', 'runners']);

  it('finds a cycle where there is one (the check can fail)', () => {
    const toy = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
    ]);
    expect(cycles(toy)).toEqual([['a', 'b', 'c'], ['e']]);
    expect(g.size).toBeGreaterThan(100);
  });

  it('has no cycle', () => {
    expect(cycles(g)).toEqual([]);
  });

  it("keeps src/'s layers in order and one arch out of another", () => {
    const wrong: string[] = [];
    for (const [f, deps] of g) {
      if (!f.startsWith('src/')) continue;
      for (const d of deps) {
        if (layerOf(d) > layerOf(f)) wrong.push(`${f} imports ${d}, a higher layer`);
        const a = archOf(f);
        const b = archOf(d);
        if (a && b && a !== b) wrong.push(`${f} (${a}) imports ${d} (${b})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps each QEMU target out of the others, and the QEMU adapter out of the engine', () => {
    const qemuArch = (f: string) =>
      f.startsWith('runners/adapters/qemu/')
        ? ARCHES.find((a) => new RegExp(`/${a}(-[^/]*)?\\.ts$`).test(f))
        : undefined;
    const wrong = [...g]
      .filter(([f]) => f.startsWith('runners/adapters/qemu/'))
      .flatMap(([f, deps]) =>
        deps
          .filter((d) => {
            const a = qemuArch(f);
            const b = qemuArch(d);
            return d.startsWith('src/') || (a !== undefined && b !== undefined && a !== b);
          })
          .map((d) => `${f} imports ${d}`),
      );
    expect(wrong).toEqual([]);
  });

  it('keeps the vector loader free of implementations and of the commands that use it', () => {
    const above = ['runners/adapters/', 'runners/protocol/', 'runners/reporters/'];
    const wrong = [...g]
      .filter(([f]) => f.startsWith('runners/vectors/'))
      .flatMap(([f, deps]) =>
        deps
          .filter((d) => above.some((p) => d.startsWith(p)) || !d.startsWith('runners/vectors/'))
          .filter((d) => !['runners/paths.ts', 'runners/adapter.ts', 'runners/arch.ts'].includes(d))
          .map((d) => `${f} imports ${d}`),
      );
    expect(wrong).toEqual([]);
  });
});
