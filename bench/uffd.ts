// npm run bench, the uffd family (issue 14): UFFDIO_WRITEPROTECT over 1 GiB of a mapped shmem file
// (262,144 present 4 KiB PTEs), set then resolve, against a C loop setting and clearing the same bit
// over the same table image (bench/pagewalk.c "uffd", compiled in this run).

import { performance } from 'node:perf_hooks';
import type { SetupMapping } from '../src/machine/builder.ts';
import * as D from './dist.ts';
import { BENCH_CONFIG, runPagewalkC, tableImage } from './pagewalk.ts';

const { buildSetup } = D.engine;
const { UNLIMITED, Work } = D.work;
const { loopParts } = D.faultOps;
const { ioEnv } = D.uffdOps;
const { userfaultfd_writeprotect } = D.userfaultfd;
const { LINUX } = D.registry;

const PAGES = 262_144;
const VA0 = 0x7f00_0000_0000n;
const MEM_BASE = 0x1_0000_0000n;

export function benchUffd(where: string): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  // PAGE_SHARED PTEs of a shmem file, young and dirty.
  const fields = new Map([
    ['RW', 1n],
    ['US', 1n],
    ['A', 1n],
    ['D', 1n],
    ['XD', 1n],
  ]);
  const map: SetupMapping[] = [];
  for (let i = 0; i < PAGES; i++)
    map.push({
      va: VA0 + BigInt(i) * 4096n,
      pa: MEM_BASE + 0x1000_0000n + BigInt(i) * 4096n,
      size: '4K',
      fields,
    });
  const end = VA0 + BigInt(PAGES) * 4096n;
  const built = buildSetup('x86_64', '4level', {
    memory: { base: MEM_BASE, size: 1n << 32n },
    map,
    files: [{ name: 'shm', can_writeback: false, shmem: true, size: BigInt(PAGES) }],
    uffds: [{ name: 'u', mm: 'mm', features: [] }],
    mms: [
      {
        name: 'mm',
        vmas: [
          {
            name: 'shm',
            start: VA0,
            end,
            flags: [
              'VM_READ',
              'VM_WRITE',
              'VM_SHARED',
              'VM_MAYREAD',
              'VM_MAYWRITE',
              'VM_MAYSHARE',
              'VM_UFFD_WP',
            ],
            file: 'shm',
            pgoff: 0n,
            uffd: 'u',
            // PAGE_COPY: write-notify, as UFFDIO_REGISTER's vma_set_page_prot leaves it.
            vm_page_prot: 0x8000000000000025n,
          },
        ],
      },
    ],
  });
  map.length = 0;
  const machine = { ...built.machine, work: new Work(UNLIMITED) };
  const ctx = {
    arch: 'x86_64',
    mode: '4level',
    config: BENCH_CONFIG,
    machine,
    linux: built.linux!,
  } as const;
  const p = loopParts(LINUX.x86_64, ctx);
  const u = built.linux!.uffds.get('u')!;
  const io = ioEnv(LINUX.x86_64, ctx, p, u);
  const mem = machine.mem;
  const tablesPa = Number(MEM_BASE);
  const image = tableImage(mem, tablesPa);
  // Each ioctl is a step: its journal is released at its end (its changes are not rendered here,
  // as the C loop makes no result either), outside the time.
  const ioctl = (mode: string[]): number => {
    const t0 = performance.now();
    userfaultfd_writeprotect(io, u, VA0, end - VA0, mode);
    const t = performance.now() - t0;
    p.t.release();
    io.f.events.length = 0;
    return t;
  };
  const pass = (): number => ioctl(['WP']) + ioctl([]);
  // Warm-up: V8 optimises the per-PMD walk only after a few passes of its 512 PMDs (the C side is
  // compiled ahead of time and runs 9 times).
  for (let i = 0; i < 5; i++) pass();
  const ms = Math.min(...Array.from({ length: 5 }, () => pass()));
  const engineNs = (ms * 1e6) / PAGES;
  const [cVisits, cNs] = runPagewalkC(image, tablesPa, machine.treeRoot(0), VA0, end, 'uffd');
  console.log(
    `\nUFFDIO_WRITEPROTECT set then resolve (${where}): x86_64 4-level, 1 GiB of a shmem mapping (${fmt(PAGES)} PTEs), best of 5:`,
  );
  console.log(
    `  engine             ${fmt(PAGES).padStart(10)} PTEs  ${engineNs.toFixed(2).padStart(7)} ns/PTE   ${fmt(1e9 / engineNs)} PTEs/s`,
  );
  console.log(
    `  C loop (cc -O2)    ${fmt(Number(cVisits)).padStart(10)} PTEs  ${Number(cNs).toFixed(2).padStart(7)} ns/PTE   ratio ${(engineNs / Number(cNs)).toFixed(1)}x (target <= 5x)`,
  );
}
