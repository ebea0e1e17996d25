// The machine under the mmu/tlb vectors: physical memory's two representations agree, the setup's
// bad input is a format error naming the entry, and the x86_64 walk agrees with an independent C
// walker (bench/walker.c) over the same page-table image.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vectorProblem } from '../../runners/adapters/reference.ts';
import { lint } from '../../runners/lint.ts';
import { loadVectors } from '../../runners/load.ts';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { Builder } from '../../src/machine/builder.ts';
import { geometry } from '../../src/machine/geometry.ts';
import { PhysMemory } from '../../src/machine/memory.ts';
import { walk, w, Walk, x86Mmu } from '../../src/machine/x86_64/mmu.ts';
import { modeDesc } from '../../src/registry.ts';
import { loadSchema } from '../../runners/vectors/schemas.ts';
import type { FaultClass as SchemaFaultClass } from '../../runners/vectors/generated/vector-file.ts';
import type { FaultClass } from '../../src/machine/types.ts';
import { MMUS } from '../../src/registry.ts';
import { tmp, vectorFile, writeJson } from './helpers.ts';

describe('the engine and the schema agree on the machine', () => {
  it('CpuFeatures: each key belongs to one arch, with the schema default', () => {
    const schema = loadSchema('vector-file.schema.json') as {
      definitions: { CpuFeatures: { properties: Record<string, { default: unknown }> } };
    };
    const props = schema.definitions.CpuFeatures.properties;
    const engine = Object.values(MMUS).flatMap((m) => Object.entries(m.features));
    expect(engine.map(([k]) => k).sort()).toEqual(Object.keys(props).sort());
    for (const [k, v] of engine) expect(props[k]?.default).toBe(v);
  });

  it('FaultClass is the same union (checked by the compiler)', () => {
    const toSchema = (c: FaultClass): SchemaFaultClass => c;
    const toEngine = (c: SchemaFaultClass): FaultClass => c;
    expect(toEngine(toSchema('permission'))).toBe('permission');
  });
});

describe('physical memory', () => {
  it('stores 64-bit words as halves that read back as the same bigint, across frames and growth', () => {
    const m = new PhysMemory(0x1_0000_0000, 0x1_0000_0000);
    const words: [number, bigint][] = [];
    for (let i = 0; i < 300; i++) {
      const pa = 0x1_0000_0000 + i * 0x3_1008;
      const v = (BigInt(i) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
      m.write64(pa, v);
      words.push([pa, v]);
    }
    for (const [pa, v] of words) {
      expect(m.read64(pa)).toBe(v);
      expect(m.lo(pa)).toBe(Number(v & 0xffffffffn));
      expect(m.hi(pa)).toBe(Number(v >> 32n));
    }
    expect(m.read64(0x1_0000_0008 + 0x10_0000)).toBe(0n);
    expect(m.frames).toBe(300);
  });
});

const MEM = { base: '0x0000000040000000', size: '0x0000000080000000' };
const page = (va: string, pa: string, size = '4K') => ({ va, pa, size, fields: { RW: 1 } });

describe('setup input errors name the entry', () => {
  const cases: [string, string, unknown, string, RegExp][] = [
    [
      'overlapping mappings',
      'x86_64',
      {
        memory: MEM,
        map: [
          page('0x0000000000200000', '0x0000000050000000'),
          page('0x0000000000200000', '0x0000000050200000', '2M'),
        ],
      },
      '/map/1',
      /overlaps an earlier mapping/,
    ],
    [
      'a PA beyond memory',
      'x86_64',
      { memory: MEM, map: [page('0x0000000000200000', '0x00000000c0000000')] },
      '/map/0/pa',
      /outside setup.memory/,
    ],
    [
      'a page size the mode lacks',
      'x86_64',
      { memory: MEM, map: [page('0x0000000000200000', '0x0000000050000000', '64K')] },
      '/map/0/size',
      /has no 64K leaf \(it has: 4K, 2M, 1G\)/,
    ],
    [
      'a misaligned VA',
      'riscv64',
      {
        memory: { base: '0x0000000080000000', size: '0x0000000080000000' },
        map: [page('0x0000000000201000', '0x0000000090000000', '2M')],
      },
      '/map/0/va',
      /aligned to 2M/,
    ],
    [
      'a field the format lacks',
      'arm64',
      {
        memory: MEM,
        map: [
          { va: '0x0000000000200000', pa: '0x0000000050000000', size: '4K', fields: { RW: 1 } },
        ],
      },
      '/map/0/fields/RW',
      /has no field "RW"/,
    ],
    [
      "another arch's feature",
      'arm64',
      { memory: MEM, cpus: [{ features: { SMEP: true } }] },
      '/cpus/0/features/SMEP',
      /SMEP is not a arm64 feature/,
    ],
    [
      'a word outside memory',
      'riscv64',
      {
        memory: { base: '0x0000000080000000', size: '0x0000000000100000' },
        words: [{ pa: '0x0000000000001000', value: '0x0000000000000001' }],
      },
      '/words/0/pa',
      /inside setup.memory/,
    ],
  ];
  it.each(cases)('%s', (_name, arch, setup, pointer, message) => {
    const mode = { x86_64: '4level', arm64: '4k-48', riscv64: 'sv39' }[arch]!;
    const p = vectorProblem(arch, mode, setup, []);
    expect(p?.pointer).toBe(`/setup${pointer}`);
    expect(p?.message).toMatch(message);
  });

  it('drops only the bad vector, with file, pointer and message, and loads the rest', () => {
    const dir = tmp();
    const ok = {
      id: 'x86_64/mmu/t/ok',
      description: 'a load through a 4K page',
      setup: { memory: MEM, map: [page('0x0000000000200000', '0x0000000050000000')] },
      steps: [
        {
          op: 'read',
          args: { pa: '0x0000000040000000' },
          expect: { result: '0x0000000040001027' },
        },
      ],
    };
    const bad = {
      ...ok,
      id: 'x86_64/mmu/t/bad',
      setup: { memory: MEM, map: [page('0x0000000000200000', '0x00000000f0000000')] },
    };
    const file = writeJson(dir, 'f.json', vectorFile([ok, bad], { family: 'mmu' }));
    const r = loadVectors([file]);
    expect(r.vectors.map((v) => v.id)).toEqual(['x86_64/mmu/t/ok']);
    expect(r.problems).toEqual([
      expect.objectContaining({
        pointer: '/vectors/1/setup/map/0/pa',
        message: expect.stringMatching(/outside setup.memory/),
      }),
    ]);
  });
});

describe('ptvec lint of hardware steps', () => {
  it('rejects a set_features key of another arch, naming the step', () => {
    const v = {
      id: 'riscv64/mmu/t/features',
      description: 'SUM on, then a key that riscv does not have',
      mode: 'sv39',
      arch: 'riscv64',
      setup: { memory: { base: '0x0000000080000000', size: '0x0000000000100000' } },
      steps: [
        { op: 'set_features', args: { features: { SUM: true, PAN: true } } },
        {
          op: 'read',
          args: { pa: '0x0000000080000000' },
          expect: { result: '0x0000000000000000' },
        },
      ],
    };
    const file = writeJson(tmp(), 'f.json', vectorFile([v], { family: 'mmu' }));
    expect(lint([file]).problems).toEqual([
      expect.objectContaining({
        pointer: '/vectors/0/steps/0/args/features/PAN',
        message: expect.stringMatching(/^PAN is not a riscv64 feature/),
      }),
    ]);
  });
});

describe('the x86_64 walk against an independent C walker (bench/walker.c)', () => {
  it('translates the same random 4K/2M/1G image to the same addresses', () => {
    const g = geometry(modeDesc('x86_64', '4level'));
    const base = 0x1_0000_0000n;
    const b = new Builder(x86Mmu, g, { memory: { base, size: 0x1_0000_0000n } });
    let seed = 7;
    const rand = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const fields = new Map([['RW', 1n]]);
    // 1G leaves in the first GiB-aligned slots, 2M in others, 4K pages elsewhere; some VAs unmapped.
    for (let i = 0; i < 2; i++)
      b.insert(
        { va: 0x40_0000_0000n + (BigInt(i) << 30n), pa: base + 0x8000_0000n, size: '1G', fields },
        '',
      );
    for (let i = 0; i < 64; i++)
      b.insert(
        {
          va: 0x80_0000_0000n + (BigInt(i) << 21n),
          pa: base + 0x4000_0000n + (BigInt(rand() % 256) << 21n),
          size: '2M',
          fields,
        },
        '',
      );
    for (let i = 0; i < 4096; i++)
      b.insert(
        {
          va: 0x7f_0000_0000n + (BigInt(i * 3) << 12n),
          pa: base + 0x100_0000n + (BigInt(rand() % 8192) << 12n),
          size: '4K',
          fields,
        },
        '',
      );
    const vas = new BigUint64Array(20_000);
    const regions = [0x40_0000_0000n, 0x80_0000_0000n, 0x7f_0000_0000n];
    for (let i = 0; i < vas.length; i++)
      vas[i] = regions[i % 3]! + ((BigInt(rand()) << 8n) % 0x1000_0000n);
    let sum = 0n;
    const leaves = new Map<string, number>();
    for (const va of vas) {
      const r = walk(
        b.mem,
        g,
        b.root(0),
        Number(va >> 32n),
        Number(va & 0xffffffffn),
        x86Mmu.features,
        null,
      );
      const size = r === Walk.Ok ? 1n << BigInt(g.levels[w.level]!.leafShift) : 0n;
      const kind = r === Walk.Ok ? g.levels[w.level]!.linux : 'none';
      leaves.set(kind, (leaves.get(kind) ?? 0) + 1);
      sum += r === Walk.Ok ? BigInt(w.base) + (va & (size - 1n)) : 0xffffffffffffffffn;
    }
    const dir = tmp();
    const image = new Uint8Array(b.mem.frames * 4096);
    const view = new DataView(image.buffer);
    for (let off = 0; off < image.length; off += 4)
      view.setUint32(off, b.mem.lo(Number(base) + off), true);
    writeFileSync(join(dir, 'image.bin'), image);
    writeFileSync(join(dir, 'vas.bin'), new Uint8Array(vas.buffer));
    const exe = join(dir, 'walker');
    execFileSync('cc', ['-O2', '-o', exe, join(PACKAGE_ROOT, 'bench/walker.c')]);
    const out = execFileSync(exe, [
      join(dir, 'image.bin'),
      `0x${base.toString(16)}`,
      `0x${b.root(0).toString(16)}`,
      join(dir, 'vas.bin'),
    ]).toString();
    expect(BigInt(out.trim().split(' ')[2]!)).toBe(sum & 0xffffffffffffffffn);
    // Every kind of outcome was exercised: 1G, 2M and 4K leaves, and unmapped addresses.
    expect([...leaves.keys()].sort()).toEqual(['none', 'pmd', 'pte', 'pud']);
  });
});
