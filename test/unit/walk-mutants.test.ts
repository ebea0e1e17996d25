// The walk and pageattr vectors against deliberately wrong page walkers. Each mutant is the reference
// engine with one rule of mm/pagewalk.c, the arch helpers or pageattr.c broken (a prototype or helper
// replaced for the test, or one kind of event corrupted); at least one vector must fail for each.
// And the walker's fast path (skipping runs of empty entries) must change no result.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { toInput, type Json, type VectorObservation } from '../../runners/adapter.ts';
import { observe, REFERENCE_CHOICES } from '../../runners/adapters/reference.ts';
import { judge } from '../../runners/compare.ts';
import type { LoadedVector } from '../../runners/vectors/files.ts';
import { loadVectors } from '../../runners/load.ts';
import { LinuxTables } from '../../src/mm/pgtable.ts';
import { arm64Upper } from '../../src/arch/arm64/pgalloc.ts';
import { riscvUpper } from '../../src/arch/riscv64/pgalloc.ts';
import { x86Upper } from '../../src/arch/x86_64/pgalloc.ts';

const corpus = loadVectors([]).vectors.filter((v) =>
  v.steps.some((s) => /^(walk_|folio_walk|update_range_prot|__change|set_memory)/.test(s.op)),
);

type Event = Record<string, Json>;
type Result = { ret: number; events: Event[]; changes: Event[] };

function verdicts(run: (v: LoadedVector) => VectorObservation = (v) => observe(toInput(v))) {
  return corpus.map((v) => ({ v, j: judge(v, run(v), REFERENCE_CHOICES) }));
}
const failing = (run?: (v: LoadedVector) => VectorObservation) =>
  verdicts(run).filter((x) => x.j.verdict !== 'pass');

/** The reference engine with each walk result passed through `f`. */
const corrupted =
  (f: (r: Result, v: LoadedVector, step: number) => Result | undefined) =>
  (v: LoadedVector): VectorObservation => {
    const o = observe(toInput(v));
    if (o.kind !== 'observed') return o;
    return {
      kind: 'observed',
      steps: o.steps.map((s, i) => {
        if (s.kind !== 'result' || typeof s.result !== 'object' || s.result === null) return s;
        if (!('changes' in s.result)) return s;
        const r = f(structuredClone(s.result) as unknown as Result, v, i);
        return r ? { kind: 'result', result: r as unknown as Json } : s;
      }),
    };
  };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the walk corpus', () => {
  it('has vectors for every family entry point and passes', () => {
    const ops = new Set(corpus.flatMap((v) => v.steps.map((s) => s.op)));
    for (const op of [
      'walk_page_range',
      'walk_page_range_mm_unsafe',
      'walk_page_range_vma',
      'walk_page_vma',
      'walk_page_mapping',
      'walk_kernel_page_table_range',
      'walk_kernel_page_table_range_lockless',
      'folio_walk_start',
      'update_range_prot',
      '__change_memory_common',
      'set_memory_ro',
      'set_memory_valid',
    ])
      expect(ops).toContain(op);
    expect(corpus.length).toBeGreaterThanOrEqual(300);
    expect(failing().map((x) => x.v.id)).toEqual([]);
  });

  it('gives the same results without the fast path over runs of empty entries', () => {
    vi.spyOn(LinuxTables.prototype, 'zero').mockReturnValue(false);
    expect(failing().map((x) => x.v.id)).toEqual([]);
  });
});

describe('a deliberately wrong page walker is caught', () => {
  it('when real_depth() does not fold (pte_hole depths of folded levels)', () => {
    vi.spyOn(LinuxTables.prototype, 'realDepth').mockImplementation((d) => d);
    expect(failing().length).toBeGreaterThan(0);
  });

  it('when p?d_none_or_clear_bad never clears a bad entry', () => {
    vi.spyOn(LinuxTables.prototype, 'noneOrClearBad').mockImplementation(function (
      this: LinuxTables,
      _tree,
      c,
      pa,
    ) {
      const v = this.read(pa);
      return this.none(c, v) || this.bad(c, v);
    });
    expect(failing().length).toBeGreaterThan(0);
  });

  it('when p4d_clear_bad clears under compile-time folding (arm64)', () => {
    vi.spyOn(LinuxTables.prototype, 'noneOrClearBad').mockImplementation(function (
      this: LinuxTables,
      tree,
      c,
      pa,
      addr,
    ) {
      const v = this.read(pa);
      if (this.none(c, v)) return true;
      if (!this.bad(c, v)) return false;
      this.write(tree, c, pa, addr, 0n);
      return true;
    });
    expect(failing().some((x) => x.v.arch === 'arm64')).toBe(true);
  });

  it('when x86 pXd_populate leaves out D (the hardware builder default 0x27, not _PAGE_TABLE)', () => {
    vi.spyOn(x86Upper, 'populate').mockImplementation((pa) => pa | 0x27n);
    expect(failing().some((x) => x.v.arch === 'x86_64')).toBe(true);
  });

  it('when arm64 pXd_populate leaves out PMD_TABLE_AF', () => {
    vi.spyOn(arm64Upper, 'populate').mockImplementation(
      (pa, kernel) => pa | 3n | (kernel ? 1n << 60n : 1n << 59n),
    );
    expect(failing().some((x) => x.v.arch === 'arm64')).toBe(true);
  });

  it('when riscv pXd_populate sets A and D in table entries', () => {
    vi.spyOn(riscvUpper, 'populate').mockImplementation((pa) => ((pa >> 12n) << 10n) | 0xc1n);
    expect(failing().some((x) => x.v.arch === 'riscv64')).toBe(true);
  });

  it('when arm64 set_pte_at keeps PTE_CONT (set_ptes starts with pte_mknoncont)', () => {
    vi.spyOn(arm64Upper, 'set_pte_at').mockImplementation((v) => v);
    expect(failing().some((x) => x.v.arch === 'arm64')).toBe(true);
  });

  it('when x86 p4d_none stops ignoring A and D', () => {
    vi.spyOn(x86Upper, 'p4d_none').mockImplementation((v) => v === 0n);
    expect(failing().some((x) => x.v.arch === 'x86_64')).toBe(true);
  });

  // Behaviour the entry points own, as the events it would change.
  const drop = (pred: (e: Event, r: Result) => boolean) =>
    corrupted((r) => {
      const events = r.events.filter((e) => !pred(e, r));
      return events.length === r.events.length ? undefined : { ...r, events };
    });

  it('when pte_entry is not called for empty PTEs', () => {
    expect(
      failing(drop((e) => e.event === 'pte_entry' && e.value === '0x0000000000000000')).length,
    ).toBeGreaterThan(0);
  });

  it('when post_vma is skipped after a failed walk', () => {
    expect(failing(drop((e, r) => e.event === 'post_vma' && r.ret !== 0)).length).toBeGreaterThan(
      0,
    );
  });

  it('when folded levels do not call pgd_entry on empty slots', () => {
    expect(
      failing(drop((e) => e.event === 'pgd_entry' && e.value === '0x0000000000000000')).length,
    ).toBeGreaterThan(0);
  });

  it('when gaps between VMAs are not reported (pte_hole depth -1)', () => {
    expect(failing(drop((e) => e.event === 'pte_hole' && e.depth === -1)).length).toBeGreaterThan(
      0,
    );
  });

  it('when walk->vma is not passed to callbacks', () => {
    const run = corrupted((r) =>
      r.events.some((e) => 'vma' in e)
        ? { ...r, events: r.events.map(({ vma: _vma, ...e }) => e) }
        : undefined,
    );
    expect(failing(run).length).toBeGreaterThan(0);
  });

  it('when a WARN is not reported', () => {
    expect(failing(drop((e) => e.event === 'warn')).length).toBeGreaterThan(0);
  });

  it('when pageattr always flushes the TLB (even when only PTE_VALID is set)', () => {
    const run = corrupted((r) =>
      r.events.some((e) => e.event === 'arch_leave_lazy_mmu_mode') &&
      !r.events.some((e) => e.event === 'flush_tlb_kernel_range')
        ? { ...r, events: [...r.events, { event: 'flush_tlb_kernel_range' }] }
        : undefined,
    );
    expect(failing(run).length).toBeGreaterThan(0);
  });

  it('when the lazy-MMU barriers are always emitted', () => {
    const run = corrupted((r) => ({
      ...r,
      events: r.events.map((e) =>
        e.event === 'arch_leave_lazy_mmu_mode' ? { ...e, barriers: true } : e,
      ),
    }));
    expect(failing(run).length).toBeGreaterThan(0);
  });

  it('when -EINVAL is returned as 0, or a callback value is lost', () => {
    expect(
      failing(corrupted((r) => (r.ret === -22 ? { ...r, ret: 0 } : undefined))).length,
    ).toBeGreaterThan(0);
    expect(
      failing(corrupted((r) => (r.ret > 0 ? { ...r, ret: 0 } : undefined))).length,
    ).toBeGreaterThan(0);
  });

  it('when a changed entry goes unreported', () => {
    expect(
      failing(
        corrupted((r) => (r.changes.length ? { ...r, changes: r.changes.slice(1) } : undefined)),
      ).length,
    ).toBeGreaterThan(0);
  });
});
