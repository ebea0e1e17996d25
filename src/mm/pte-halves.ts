// The arch's PTE helpers as the dirty helpers' walks call them: by name from the op table, and on a
// PTE's two 32-bit halves with the answers cached by flag bits (the walks visit every PTE of a range,
// most of them alike).

import type { U64 } from '../bits/u64.ts';
import type { OpArgs, OpContext, OpTable } from '../ops/types.ts';
import type { MmWalk } from './pagewalk.ts';

/** The arch's PTE helpers the helpers call (pte_write, pte_wrprotect, pte_dirty, pte_mkclean, ...). */
export type Helper = (name: string, v: U64) => boolean | U64;

/** The Helper of an arch's op table: pte_*, pmd_* and pud_* ops of one entry argument. */
export function archHelper(table: OpTable, ctx: OpContext): Helper {
  const impls = new Map<string, (v: U64) => boolean | U64>();
  return (name, v) => {
    let f = impls.get(name);
    if (!f) {
      const impl = table[name];
      if (!impl) throw new Error(`${name} is not an op of the arch`);
      const call = (a: OpArgs) => impl(a, ctx) as boolean | U64;
      f = name.startsWith('pmd')
        ? (pmd) => call({ pmd })
        : name.startsWith('pud')
          ? (pud) => call({ pud })
          : (pte) => call({ pte });
      impls.set(name, f);
    }
    return f(v);
  };
}

/** The helpers' PTE tests and changes on a PTE's two halves (the walk's hot path). */
export interface Halves {
  /** The arch's non-PFN bits of each half: what the tests and changes read. */
  readonly flags: { readonly lo: number; readonly hi: number };
  /** The arch's predicate `name` (pte_write, pte_dirty) of (lo, hi). */
  tester(name: string): (lo: number, hi: number) => boolean;
  /** The arch's change `name` (pte_wrprotect, pte_mkclean) of (lo, hi), into `out` [lo, hi]. */
  changer(name: string): (lo: number, hi: number, out: Uint32Array) => void;
}

/**
 * The PTE tests and changes of the helpers, answered by the arch's bigint helper once per
 * combination of the bits outside the PFN field (`flags`: the arch's non-PFN bits of each half).
 * pte_write, pte_dirty, pte_wrprotect and pte_mkclean read and change flag bits only; the walk
 * visits every PTE of a range, most of them alike.
 */
export function halves(h: Helper, flags: { readonly lo: number; readonly hi: number }): Halves {
  const value = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  // The low flag bits sit below bit 12 and the high ones above bit 17 of the high half on all three
  // arches: a key below 2^26, cached direct-mapped (a walk meets few combinations, often in turn).
  const FL = flags.lo | 0;
  const FH = flags.hi | 0;
  const key = (lo: number, hi: number) => (lo & FL) + ((hi & FH) >>> 18) * 0x1000;
  const SLOTS = 64;
  const slot = (k: number) => Math.imul(k, 0x9e3779b1) >>> 26; // the top 6 bits: 64 slots
  const cached = <T>(name: string, f: (v: U64) => T) => {
    const tags = new Int32Array(SLOTS).fill(-1);
    const vals: T[] = [];
    return (lo: number, hi: number): T => {
      const k = key(lo, hi);
      const i = slot(k);
      if (tags[i] !== k) {
        vals[i] = f(h(name, value(lo & FL, (hi & FH) >>> 0)) as U64);
        tags[i] = k;
      }
      return vals[i]!;
    };
  };
  return {
    flags,
    tester: (name) => cached(name, (v) => (v as unknown) === true),
    changer: (name) => {
      const of = cached(name, (v) => [Number(v & 0xffffffffn), Number(v >> 32n)] as const);
      return (lo, hi, out) => {
        const r = of(lo, hi);
        out[0] = (lo & ~FL) | r[0];
        out[1] = (hi & ~FH) | r[1];
      };
    },
  };
}

const changed = new Uint32Array(2);
/**
 * The PTE change of wp_pte / clean_record_pte: ptep_modify_prot_start/commit of `change`, to the PTE
 * at `pa`, `pages` pages above `addr`.
 */
export function modifyPte(
  w: MmWalk,
  change: (lo: number, hi: number, out: Uint32Array) => void,
  pa: number,
  addr: U64,
  pages: number,
  lo: number,
  hi: number,
): void {
  change(lo, hi, changed);
  w.t.writeHalves(w.tree, 4, pa, addr, changed[0]!, changed[1]!, pages, lo, hi);
}
