// npm run bench, the dirty family (issue 13): clean_record_shared_mapping_range over a shared mapping
// of 1,000,000 pages with a dirty page in every 16, against a C loop doing the same test-and-clear over
// the same table image (bench/pagewalk.c "clean", compiled in this run). Both start each pass from
// the same dirty pages.

import { performance } from 'node:perf_hooks';
import type { SetupMapping } from '../src/machine/builder.ts';
import type { U64 } from '../src/bits/u64.ts';
import * as D from './dist.ts';
import { BENCH_CONFIG, runPagewalkC, tableImage, walker } from './pagewalk.ts';

const { buildSetup } = D.engine;
const { UNLIMITED, Work } = D.work;
const { cleanRecord, mapping_dirty_walk, wpCleanOps, wpWalk } = D.dirtyHelpers;
const { archHelper, halves } = D.pteHalves;
const { genericHugePteOffset } = D.pagewalk;
const { LINUX } = D.registry;

const PAGES = 1_000_000;
const VA0 = 0x7f00_0000_0000n;
const MEM_BASE = 0x1_0000_0000n;

export function benchDirty(): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const clean = new Map([
    ['RW', 1n],
    ['US', 1n],
    ['A', 1n],
  ]);
  const dirty = new Map([...clean, ['D', 1n]]);
  const map: SetupMapping[] = [];
  for (let i = 0; i < PAGES; i++)
    map.push({
      va: VA0 + BigInt(i) * 4096n,
      pa: MEM_BASE + 0x1000_0000n + BigInt(i) * 4096n,
      size: '4K',
      fields: i % 16 === 0 ? dirty : clean,
    });
  const end = VA0 + BigInt(PAGES) * 4096n;
  const built = buildSetup('x86_64', '4level', {
    memory: { base: MEM_BASE, size: 1n << 33n },
    map,
    files: [{ name: 'f', can_writeback: true }],
    mms: [
      {
        name: 'mm',
        vmas: [
          {
            name: 'a',
            start: VA0,
            end,
            flags: ['VM_READ', 'VM_WRITE', 'VM_SHARED', 'VM_MAYREAD', 'VM_MAYWRITE', 'VM_MAYSHARE'],
            file: 'f',
            pgoff: 0n,
          },
        ],
      },
    ],
  });
  map.length = 0; // the setup list is not needed once built: less for the GC to trace
  const machine = { ...built.machine, work: new Work(UNLIMITED) };
  const mem = machine.mem;
  const ctx = { arch: 'x86_64', mode: '4level', config: BENCH_CONFIG, machine } as const;
  const table = LINUX.x86_64.table();
  const h = archHelper(table, ctx);
  // The PTEs that start dirty: restored before each pass (their D bit, bit 6).
  const tablesPa = Number(MEM_BASE);
  const image = tableImage(mem, tablesPa);
  const view = new DataView(image.buffer);
  const dirtyPtes: number[] = [];
  for (let off = 0; off < image.length; off += 8)
    if ((view.getUint32(off, true) & 0x40) !== 0 && (view.getUint32(off, true) & 0x80) === 0)
      dirtyPtes.push(tablesPa + off);
  let cleaned = 0n;
  const pass = (redirty = true): number => {
    if (redirty) for (const pa of dirtyPtes) mem.writeHalves(pa, mem.lo(pa) | 0x40, mem.hi(pa));
    const rec = cleanRecord(BigInt(PAGES), 0n, new Array<U64>(PAGES / 64 + 1).fill(0n), 0n, 0n);
    const wp = wpWalk();
    const w = walker(built, wpCleanOps(h, halves(h, LINUX.x86_64.pteFlags), wp, rec));
    const t0 = performance.now();
    cleaned = mapping_dirty_walk(w, wp, genericHugePteOffset, 'f', 0n, BigInt(PAGES), 'clean');
    const t = performance.now() - t0;
    // The step's end, as in a run (the changes are not rendered: the C loop makes no result either).
    w.t.release();
    return t;
  };
  pass();
  const ms = Math.min(...Array.from({ length: 9 }, () => pass()));
  const cleanedDirty = cleaned;
  const engineNs = (ms * 1e6) / PAGES;
  // The same walk once nothing is dirty: the test of every PTE without the 62,500 changes to record.
  const cleanNs = (Math.min(...[0, 1, 2].map(() => pass(false))) * 1e6) / PAGES;
  const [cVisits, cNs, cCleaned] = runPagewalkC(
    image,
    tablesPa,
    machine.treeRoot(0),
    VA0,
    end,
    'clean',
  );
  console.log(
    `\nclean_record_shared_mapping_range: x86_64 4-level, ${fmt(PAGES)} pages of a shared mapping, one dirty in 16, best of 9:`,
  );
  console.log(
    `  engine             ${fmt(PAGES).padStart(10)} PTEs  ${engineNs.toFixed(2).padStart(7)} ns/PTE   ${fmt(Number(cleanedDirty))} cleaned`,
  );
  console.log(
    `  engine, none dirty ${fmt(PAGES).padStart(10)} PTEs  ${cleanNs.toFixed(2).padStart(7)} ns/PTE   (the walk and the test alone)`,
  );
  console.log(
    `  C loop (cc -O2)    ${fmt(Number(cVisits)).padStart(10)} PTEs  ${Number(cNs).toFixed(2).padStart(7)} ns/PTE   ratio ${(engineNs / Number(cNs)).toFixed(1)}x (target <= 5x)${Number(cCleaned) === Number(cleanedDirty) ? '' : '  COUNTS DIFFER'}`,
  );
}
