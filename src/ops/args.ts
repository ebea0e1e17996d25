// Argument access and the small adapters that turn a helper of one entry into an op.

import type { U64 } from '../bits/u64.ts';
import type { KernelConfig } from '../config.ts';
import { VectorFormatError } from '../errors.ts';
import type { OpArgs, OpImpl } from './types.ts';

export function arg<K extends keyof OpArgs>(a: OpArgs, k: K): NonNullable<OpArgs[K]> {
  const v = a[k];
  if (v === undefined) throw new VectorFormatError(`missing argument "${k}"`, `/args/${k}`);
  return v as NonNullable<OpArgs[K]>;
}

export function int(a: OpArgs, k: 'type' | 'cpu' | 'asid' | 'pcid'): number {
  const v = a[k];
  if (typeof v !== 'number')
    throw new VectorFormatError(`expected an integer "${k}"`, `/args/${k}`);
  return v;
}

type EntryArg = 'pte' | 'pmd' | 'pud' | 'entry' | 'value';

/** An op over one 64-bit argument, e.g. pte_dirty(pte) or pte_mkclean(pte). */
export function on<R extends boolean | U64 | number>(
  k: EntryArg,
  f: (v: U64, cfg: KernelConfig) => R,
): OpImpl {
  return (a, ctx) => f(arg(a, k), ctx.config);
}

export const pteOp = <R extends boolean | U64 | number>(f: (v: U64, cfg: KernelConfig) => R) =>
  on('pte', f);
export const pmdOp = <R extends boolean | U64 | number>(f: (v: U64, cfg: KernelConfig) => R) =>
  on('pmd', f);
export const pudOp = <R extends boolean | U64 | number>(f: (v: U64, cfg: KernelConfig) => R) =>
  on('pud', f);

/** Set / clear / test one mask that the config may make 0. */
export const setBits =
  (m: (cfg: KernelConfig) => U64) =>
  (v: U64, cfg: KernelConfig): U64 =>
    v | m(cfg);
export const clearBits =
  (m: (cfg: KernelConfig) => U64) =>
  (v: U64, cfg: KernelConfig): U64 =>
    v & ~m(cfg) & 0xffffffffffffffffn;
export const testBits =
  (m: (cfg: KernelConfig) => U64) =>
  (v: U64, cfg: KernelConfig): boolean =>
    (v & m(cfg)) !== 0n;
export const always = (m: U64) => (): U64 => m;
