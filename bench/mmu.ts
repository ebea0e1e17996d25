// npm run bench, part 2 (issue 3): (a) the engine's x86_64 4-level walk against a small C walker
// (bench/walker.c, compiled in this run) over the same page-table image and the same random VAs;
// (b) the heap the engine keeps for 1 GiB mapped with 4 KiB pages against the tables' architectural size.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Builder } from '../src/machine/builder.ts';
import { PACKAGE_ROOT } from '../runners/paths.ts';
import * as D from './dist.ts';

const { geometry } = D.geometry;
const { vaOffset } = D.halves;
const { walk, w, Walk, x86Mmu } = D.x86Mmu;
const { modeDesc } = D.registry;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const PAGES = 262_144; // 1 GiB of 4 KiB pages
const LOOKUPS = 1_000_000;
const VA0 = 0x7f00_0000_0000n;
const MEM_BASE = 0x1_0000_0000n;
const MEM_FRAMES = 1 << 20; // 4 GiB of memory to scatter the pages in
const TABLES = MEM_BASE; // the builder's tables are contiguous from here

// xorshift32: the same pseudo-random mapping and lookups every run.
let seed = 0x9e3779b9;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
};

function build(): { mem: Builder['mem']; root: number } {
  const g = geometry(modeDesc('x86_64', '4level'));
  const b = new D.builder.Builder(x86Mmu, g, {
    memory: { base: MEM_BASE, size: BigInt(MEM_FRAMES) * 4096n },
  });
  // A random injective page -> frame map, avoiding the first 1024 frames (the tables).
  const frames = new Uint32Array(MEM_FRAMES - 1024).map((_, i) => i + 1024);
  for (let i = frames.length - 1; i > 0; i--) {
    const j = rand() % (i + 1);
    [frames[i], frames[j]] = [frames[j]!, frames[i]!];
  }
  const fields = new Map([
    ['RW', 1n],
    ['A', 1n],
    ['D', 1n],
  ]);
  for (let i = 0; i < PAGES; i++) {
    b.insert(
      {
        va: VA0 + BigInt(i) * 4096n,
        pa: MEM_BASE + BigInt(frames[i]!) * 4096n,
        size: '4K',
        fields,
      },
      `/bench/${i}`,
    );
  }
  return { mem: b.mem, root: b.root(0) };
}

export function benchMmu(): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  // (b) heap: retained bytes (JS heap + ArrayBuffers) of the machine's memory after the build.
  for (let i = 0; i < 4; i++) gc();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const { mem, root } = build();
  const buildMs = performance.now() - t0;
  const g = geometry(modeDesc('x86_64', '4level'));
  const tableFrames = mem.frames;
  // Several collections: the replaced storage arrays' backing stores are freed lazily.
  for (let i = 0; i < 4; i++) gc();
  const after = process.memoryUsage();
  const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
  const arch = (1 + 1 + 1 + PAGES / 512) * 4096; // PML4 + PDPT + PD + 512 PTs

  // (a) translations: the same VAs for both walkers.
  const vas = new BigUint64Array(LOOKUPS);
  const his = new Uint32Array(LOOKUPS);
  const los = new Uint32Array(LOOKUPS);
  for (let i = 0; i < LOOKUPS; i++) {
    const va = VA0 + BigInt(rand() % PAGES) * 4096n + BigInt(rand() & 0xfff);
    vas[i] = va;
    his[i] = Number(va >> 32n);
    los[i] = Number(va & 0xffffffffn);
  }
  const features = x86Mmu.features;
  const pass = (): number => {
    let sum = 0;
    for (let i = 0; i < LOOKUPS; i++) {
      const r = walk(mem, g, root, his[i]!, los[i]!, features, null);
      if (r !== Walk.Ok) throw new Error(`bench VA ${vas[i]!.toString(16)} did not translate`);
      sum += w.base + vaOffset(his[i]!, los[i]!, 12);
    }
    return sum;
  };
  pass();
  let best = Infinity;
  let sum = 0;
  for (let rep = 0; rep < 5; rep++) {
    const t = performance.now();
    sum = pass();
    best = Math.min(best, performance.now() - t);
  }
  const engineNs = (best * 1e6) / LOOKUPS;

  const dir = mkdtempSync(join(tmpdir(), 'ptvec-walker-'));
  const image = new Uint8Array(tableFrames * 4096);
  const view = new DataView(image.buffer);
  for (let off = 0; off < image.length; off += 8) {
    const pa = Number(TABLES) + off;
    view.setUint32(off, mem.lo(pa), true);
    view.setUint32(off + 4, mem.hi(pa), true);
  }
  writeFileSync(join(dir, 'image.bin'), image);
  writeFileSync(join(dir, 'vas.bin'), new Uint8Array(vas.buffer));
  const exe = join(dir, 'walker');
  execFileSync('cc', ['-O2', '-o', exe, join(PACKAGE_ROOT, 'bench/walker.c')]);
  const [, cNs, cSum] = execFileSync(exe, [
    join(dir, 'image.bin'),
    `0x${TABLES.toString(16)}`,
    `0x${root.toString(16)}`,
    join(dir, 'vas.bin'),
  ])
    .toString()
    .trim()
    .split(' ');
  const agree = BigInt(cSum ?? '-1') === BigInt(sum);

  console.log(
    `\nhardware walk: x86_64 4-level, ${fmt(PAGES)} random 4 KiB mappings, ${fmt(LOOKUPS)} random VAs, best of 5:`,
  );
  console.log(
    `  engine walk   ${engineNs.toFixed(1).padStart(7)} ns  ${fmt(1e9 / engineNs).padStart(12)} translations/s`,
  );
  console.log(
    `  C walker -O2  ${Number(cNs).toFixed(1).padStart(7)} ns  ${fmt(1e9 / Number(cNs)).padStart(12)} translations/s   (baseline, compiled this run)`,
  );
  console.log(
    `  ratio         ${(engineNs / Number(cNs)).toFixed(2).padStart(7)}x the C walker (target: within 5x); checksums ${agree ? 'agree' : 'DIFFER'}`,
  );
  console.log(`\nheap for 1 GiB of 4 KiB mappings (${fmt(PAGES)} PTEs), after GC:`);
  console.log(
    `  engine keeps  ${fmt(grown).padStart(12)} bytes (JS heap + ArrayBuffers; ${tableFrames} table frames; build ${buildMs.toFixed(0)} ms)`,
  );
  console.log(
    `  architectural ${fmt(arch).padStart(12)} bytes (PML4 + PDPT + PD + ${PAGES / 512} PTs)`,
  );
  console.log(`  ratio         ${(grown / arch).toFixed(2).padStart(7)}x (target: at most 1.5x)`);
  if (!agree) process.exitCode = 1;
}
