// npm run bench, the fault loop (issue 12): write faults through page_mkwrite per second in the model
// (user_access stores to read-only PTEs of a shared file mapping: the hardware fault, the x86 entry,
// handle_mm_fault, do_wp_page, wp_page_shared, page_mkwrite, wp_page_reuse, the retried store), and
// as the baseline in the same run, the same number of real write faults on this machine's kernel
// (bench/faults.c, compiled in this run: a shared mapping of a file, read then stored page by page).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SetupMapping } from '../src/machine/builder.ts';
import type { FaultLoopResult } from '../src/mm/fault-loop.ts';
import { PACKAGE_ROOT } from '../runners/paths.ts';
import * as D from './dist.ts';
import { BENCH_CONFIG } from './pagewalk.ts';

const { buildSetup } = D.engine;
const { UNLIMITED, Work } = D.work;
const { lookupOp } = D.registry;

const PAGES = 4096;
const ROUNDS = 5;
const VA0 = 0x7f00_0000_0000n;
const MEM_BASE = 0x1_0000_0000n;
const DATA = MEM_BASE + 0x1000_0000n;

/** statfs f_type of the filesystems one may meet (include/uapi/linux/magic.h). */
const FS: Readonly<Record<string, string>> = {
  ef53: 'ext4',
  '58465342': 'xfs',
  '9123683e': 'btrfs',
  '794c7630': 'overlayfs',
  '1021994': 'tmpfs',
  '2fc12fc1': 'zfs',
};

function modelRound(): number {
  const fields = new Map([
    ['US', 1n],
    ['A', 1n],
    ['XD', 1n],
  ]);
  const map: SetupMapping[] = [];
  const pages = [];
  for (let i = 0; i < PAGES; i++) {
    map.push({ va: VA0 + BigInt(i) * 4096n, pa: DATA + BigInt(i) * 4096n, size: '4K', fields });
    pages.push({ index: BigInt(i), pfn: (DATA >> 12n) + BigInt(i) });
  }
  const built = buildSetup('x86_64', '4level', {
    memory: { base: MEM_BASE, size: 1n << 30n },
    map,
    files: [{ name: 'f', can_writeback: true, pages }],
    mms: [
      {
        name: 'mm',
        vmas: [
          {
            name: 'a',
            start: VA0,
            end: VA0 + BigInt(PAGES) * 4096n,
            flags: ['VM_READ', 'VM_WRITE', 'VM_SHARED', 'VM_MAYREAD', 'VM_MAYWRITE', 'VM_MAYSHARE'],
            file: 'f',
            pgoff: 0n,
            vm_ops: { fault: {}, page_mkwrite: {}, map_pages: {} },
          },
        ],
      },
    ],
  });
  const ctx = {
    arch: 'x86_64',
    mode: '4level',
    config: BENCH_CONFIG,
    machine: { ...built.machine, work: new Work(UNLIMITED) },
    linux: built.linux!,
  } as const;
  const op = lookupOp('x86_64', 'user_access');
  const t0 = performance.now();
  for (let i = 0; i < PAGES; i++) {
    const r = op({ mm: 'mm', va: VA0 + BigInt(i) * 4096n + 16n, access: 'store' }, ctx);
    const events = (r as FaultLoopResult).events.length;
    if ((r as FaultLoopResult).outcome.kind !== 'translated' || events !== 4)
      throw new Error(`bench: store ${i} did not take one page_mkwrite fault`);
  }
  return performance.now() - t0;
}

export function benchFaults(): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  modelRound(); // warm up
  const model = Math.min(...Array.from({ length: ROUNDS }, modelRound));
  const modelNs = (model * 1e6) / PAGES;
  console.log(
    `\nthe fault loop: ${PAGES} stores, each one write fault through page_mkwrite, best of ${ROUNDS}:`,
  );
  console.log(
    `  model (x86_64)   ${fmt(1e9 / modelNs).padStart(10)} faults/s  ${fmt(modelNs).padStart(7)} ns/fault`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'ptvec-faults-'));
  try {
    const exe = join(dir, 'faults');
    execFileSync('cc', ['-O2', '-o', exe, join(PACKAGE_ROOT, 'bench/faults.c')]);
    const [pages, ns, faults, magic] = execFileSync(exe, [dir, String(PAGES), String(ROUNDS)], {
      encoding: 'utf8',
    })
      .trim()
      .split(' ');
    const fs = FS[magic ?? ''] ?? `f_type 0x${magic ?? '?'}`;
    const realNs = Number(ns) / Number(pages);
    if (Number(faults) < PAGES) {
      console.log(
        `  real kernel      ${fs} in ${tmpdir()} took ${faults} faults for ${pages} stores: no write-notify there, no baseline`,
      );
      return;
    }
    console.log(
      `  real kernel      ${fmt(1e9 / realNs).padStart(10)} faults/s  ${fmt(realNs).padStart(7)} ns/fault   (a shared ${fs} file mapping, ${faults} faults)`,
    );
    console.log(
      `  ratio            ${(modelNs / realNs).toFixed(2)}x the real kernel's cost per fault (target <= 2x)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
