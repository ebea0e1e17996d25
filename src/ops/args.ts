// Argument access and the small adapters that turn a helper of one entry into an op.

import type { U64 } from '../bits/u64.ts';
import type { Arch, KernelConfig } from '../config.ts';
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

/** The members an op takes on one arch, where the op's arguments differ by arch. */
export interface ArgsForm {
  readonly arch: Arch;
  readonly op: string;
  readonly members: readonly string[];
  /** What the members are, in the arch's words. */
  readonly what: string;
}

const token = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1');
const names = (ks: readonly string[]): string => ks.map((k) => `"${k}"`).join(', ');

/**
 * Throws unless `a` has exactly the members of `form`: another arch's form of the op (or of its
 * counterpart, e.g. arm64's do_mem_abort for handle_page_fault) is named as that arch's.
 */
export function checkForm(form: ArgsForm, a: object, forms: readonly ArgsForm[]): void {
  const given = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const extra = given.filter((k) => !form.members.includes(k));
  const missing = form.members.filter((k) => !given.includes(k));
  if (extra.length === 0 && missing.length === 0) return;
  const takes = `${form.arch} ${form.op} takes {${form.members.join(', ')}} (${form.what})`;
  const others = forms.filter((f) => f.arch !== form.arch);
  const whole = others.find((f) => extra.length > 0 && given.every((k) => f.members.includes(k)));
  const theirs = (f: ArgsForm) =>
    `${f.arch}'s ${f.op === form.op ? '' : `${f.op} `}{${f.members.join(', ')}}`;
  if (whole) throw new VectorFormatError(`${takes}, not ${theirs(whole)}`, '/args');
  const why = [
    ...(missing.length > 0
      ? [`${names(missing)} ${missing.length > 1 ? 'are' : 'is'} missing`]
      : []),
    ...extra.map((k) => {
      const f = others.find((o) => o.members.includes(k));
      return f ? `"${k}" is ${f.arch}'s` : `"${k}" is not one of them`;
    }),
  ];
  throw new VectorFormatError(
    `${takes}: ${why.join('; ')}`,
    missing.length > 0 ? '/args' : `/args/${token(extra[0]!)}`,
  );
}
