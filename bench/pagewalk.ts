// npm run bench, part 3 (issue 4): walk_page_range over a sparse 64 TiB range holding 1,000,000 mapped
// 4 KiB pages in 300 clusters, with a counting pte_entry, against a C loop over the same tables
// (bench/pagewalk.c, compiled in this run); and walks over empty ranges of growing size.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Built } from '../src/engine.ts';
import type { SetupMapping } from '../src/machine/builder.ts';
import type { PhysMemory } from '../src/machine/memory.ts';
import type { MmWalk } from '../src/mm/pagewalk.ts';
import type { KernelConfig } from '../src/config.ts';
import { PACKAGE_ROOT } from '../runners/paths.ts';
import * as D from './dist.ts';

const { buildSetup } = D.engine;
const { genericHugePteOffset, walk_page_range } = D.pagewalk;
const { LinuxTables } = D.pgtable;
const { geometry } = D.geometry;
const { UNLIMITED, Work } = D.work;
const { LINUX, modeDesc } = D.registry;

const PAGES = 1_000_000;
const CLUSTERS = 300;
const RANGE = 1n << 46n; // 64 TiB
const MEM_BASE = 0x1_0000_0000n;
const MEM_SIZE = 1n << 32n;

let seed = 0x2545f491;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
};

/** The bytes of a machine's memory frames from `base` (the builder's tables first): pagewalk.c's image. */
export function tableImage(mem: PhysMemory, base: number): Uint8Array {
  const image = new Uint8Array(mem.frames * 4096);
  const view = new DataView(image.buffer);
  for (let off = 0; off < image.length; off += 8) {
    view.setUint32(off, mem.lo(base + off), true);
    view.setUint32(off + 4, mem.hi(base + off), true);
  }
  return image;
}

/**
 * bench/pagewalk.c, compiled in this run, over a table image: its "<visits> <ns per visit> <sum>"
 * for the walk of [start, end) from the table at `root` (mode: counting, "clean" or "uffd").
 */
export function runPagewalkC(
  image: Uint8Array,
  base: number,
  root: number,
  start: bigint,
  end: bigint,
  mode?: 'clean' | 'uffd',
): [string, string, string] {
  const dir = mkdtempSync(join(tmpdir(), 'ptvec-pagewalk-'));
  try {
    writeFileSync(join(dir, 'image.bin'), image);
    const exe = join(dir, 'pagewalk');
    execFileSync('cc', ['-O2', '-o', exe, join(PACKAGE_ROOT, 'bench/pagewalk.c')]);
    const out = execFileSync(exe, [
      join(dir, 'image.bin'),
      `0x${base.toString(16)}`,
      `0x${root.toString(16)}`,
      `0x${start.toString(16)}`,
      `0x${end.toString(16)}`,
      ...(mode ? [mode] : []),
    ])
      .toString()
      .trim()
      .split(' ');
    return [out[0]!, out[1]!, out[2]!];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const BENCH_CONFIG = {
  CONFIG_MEM_SOFT_DIRTY: true,
  CONFIG_USERFAULTFD: true,
  CONFIG_PTE_MARKER_UFFD_WP: true,
  CONFIG_TRANSPARENT_HUGEPAGE: true,
  CONFIG_MIGRATION: true,
  CONFIG_DEVICE_PRIVATE: true,
  CONFIG_MEMORY_FAILURE: true,
  X86_FEATURE_SHSTK: false,
  CONFIG_X86_USER_SHADOW_STACK: false,
  CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS: false,
  ARM64_HAS_EPAN: false,
  Svrsw60t59b: false,
  Svpbmt: false,
  Svnapot: false,
  Svvptc: false,
  variant: 'linux-v6.19',
} satisfies KernelConfig;

function setup(map: SetupMapping[], end: bigint) {
  return buildSetup('x86_64', '4level', {
    memory: { base: MEM_BASE, size: MEM_SIZE },
    map,
    mms: [{ name: 'mm', vmas: [{ name: 'all', start: 0n, end, flags: ['VM_READ', 'VM_WRITE'] }] }],
  });
}

/** An MmWalk over a built setup's tree 0 with these ops, without the work budget of a vector. */
export function walker(built: Built, ops: MmWalk['ops'] | MmWalk['ops']['pte_entry']): MmWalk {
  const desc = modeDesc('x86_64', '4level');
  // The bench walks far more than a vector's work budget allows.
  const machine = { ...built.machine, work: new Work(UNLIMITED) };
  const ctx = { arch: 'x86_64', mode: '4level', config: BENCH_CONFIG, machine } as const;
  const t = new LinuxTables(machine, geometry(desc), {
    upper: LINUX.x86_64.upper,
    table: LINUX.x86_64.table(),
    config: BENCH_CONFIG,
    ctx,
  });
  const mm = built.linux!.mms.get('mm')!;
  return {
    ops:
      typeof ops === 'object'
        ? ops
        : { walk_lock: 'PGWALK_RDLOCK', ...(ops ? { pte_entry: ops } : {}) },
    t,
    st: built.linux!,
    mm,
    tree: 0,
    vma: null,
    action: 0,
    no_vma: false,
    initMm: false,
    events: undefined,
    mmapLock: 'read',
  };
}

function best(runs: number, f: () => void): number {
  let b = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    b = Math.min(b, performance.now() - t);
  }
  return b;
}

export function benchPagewalk(where: string): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  // 300 clusters of 3,334 pages (1,000,200 pages), each starting on a 2 MiB boundary of its own
  // 64 GiB slot of the 64 TiB range, so clusters never meet.
  const per = Math.ceil(PAGES / CLUSTERS);
  const slots = Number(RANGE >> 36n);
  const used = new Set<number>();
  const map: SetupMapping[] = [];
  const fields = new Map([['RW', 1n]]);
  for (let c = 0; c < CLUSTERS; c++) {
    let slot: number;
    do slot = rand() % slots;
    while (used.has(slot));
    used.add(slot);
    const start = (BigInt(slot) << 36n) + (BigInt(rand() % 30000) << 21n);
    for (let i = 0; i < per; i++)
      map.push({
        va: start + BigInt(i) * 4096n,
        pa: MEM_BASE + BigInt((c * per + i) % 1_000_000) * 4096n,
        size: '4K',
        fields,
      });
  }
  const t0 = performance.now();
  const built = setup(map, RANGE);
  const buildMs = performance.now() - t0;
  const mem = built.machine.mem;

  let visits = 0;
  let sum = 0;
  const w = walker(built, (_w, _pa, _addr0, _j, lo) => {
    visits++;
    sum += lo & 1;
    return 0;
  });
  const pass = () => {
    visits = 0;
    sum = 0;
    w.vma = null;
    const ret = walk_page_range(w, 0n, RANGE, genericHugePteOffset);
    if (ret !== 0) throw new Error(`walk_page_range returned ${ret}`);
  };
  pass();
  const ms = best(5, pass);
  const engineNs = (ms * 1e6) / visits;

  const tablesPa = Number(MEM_BASE);
  const [cVisits, cNs, cSum] = runPagewalkC(
    tableImage(mem, tablesPa),
    tablesPa,
    built.machine.treeRoot(0),
    0n,
    RANGE,
  );

  console.log(
    `\nwalk_page_range (${where}): x86_64 4-level, 64 TiB range, ${fmt(map.length)} mapped 4 KiB pages in ${CLUSTERS} clusters, counting pte_entry, best of 5:`,
  );
  console.log(
    `  build              ${buildMs.toFixed(0).padStart(8)} ms (${fmt(mem.frames)} table frames)`,
  );
  console.log(
    `  engine             ${fmt(visits).padStart(10)} PTE visits  ${engineNs.toFixed(2).padStart(7)} ns/visit  ${fmt(visits / (ms / 1000)).padStart(13)} visits/s`,
  );
  console.log(
    `  C loop (cc -O2)    ${fmt(Number(cVisits)).padStart(10)} PTE visits  ${Number(cNs).toFixed(2).padStart(7)} ns/visit   ratio ${(engineNs / Number(cNs)).toFixed(1)}x (target <= 5x)${Number(cVisits) === visits && Number(cSum) === sum ? '' : '  VISITS OR CHECKSUMS DIFFER'}`,
  );

  // Empty ranges: an mm whose one VMA covers the range and no page tables (holes at the top level).
  console.log(`\nwalk_page_range over an empty range (${where}; one VMA, no tables), best of 20:`);
  let base = 0;
  for (const [label, end] of [
    ['1 GiB', 1n << 30n],
    ['1 TiB', 1n << 40n],
    ['128 TiB', (1n << 47n) - 4096n],
  ] as const) {
    const e = setup([], end);
    const ew = walker(e, () => 0);
    const t = best(20, () => {
      ew.vma = null;
      walk_page_range(ew, 0n, end, genericHugePteOffset);
    });
    if (base === 0) base = t;
    console.log(
      `  ${label.padEnd(8)} ${(t * 1000).toFixed(1).padStart(8)} µs   ${(t / base).toFixed(1)}x the 1 GiB walk`,
    );
  }
}
