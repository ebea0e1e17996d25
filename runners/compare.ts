// Judge an implementation's observations against a vector's expectations. Never consults the
// reference engine: the vector is the only oracle (DESIGN.md "Architecture").

import type { Json, StepObservation, VectorObservation } from './adapter.ts';
import { fieldDiffs, hugetlbLevel, type FieldDiff } from './arch.ts';
import { stepExpect, type LoadedVector } from './vectors/files.ts';

export type Verdict = 'pass' | 'fail' | 'skip' | 'xfail' | 'xpass' | 'error';

export interface Mismatch {
  readonly pointer: string;
  readonly step: number;
  readonly op: string;
  readonly expected: Json;
  readonly actual: Json;
  readonly level?: string;
  readonly fields?: readonly FieldDiff[];
}

export interface Judgement {
  readonly verdict: 'pass' | 'fail' | 'skip' | 'error';
  readonly reason?: string;
  readonly mismatches?: readonly Mismatch[];
}

interface Expect {
  readonly result?: Json;
  readonly either?: readonly Expect[];
  readonly byChoice?: { readonly choice: string; readonly cases: Readonly<Record<string, Expect>> };
}

/** A failed match: what to show as expected, and the vector's whole result when there is one. */
type Match =
  { ok: true } | { ok: false; expected: Json; result?: Json } | { ok: 'skip'; reason: string };
const MATCHED: Match = { ok: true };
const NOTHING_UNOBSERVED: readonly string[] = [];
const NOTHING_UNOBSERVED_BY_OP: Readonly<Record<string, readonly string[]>> = {};

export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  // Loops rather than Object.keys arrays and closures: the judge compares every step of every vector.
  if (Array.isArray(a)) {
    const xa = a as readonly Json[];
    const xb = b as readonly Json[];
    if (xa.length !== xb.length) return false;
    for (let i = 0; i < xa.length; i++) if (!jsonEqual(xa[i] ?? null, xb[i] ?? null)) return false;
    return true;
  }
  const ra = a as Readonly<Record<string, Json>>;
  const rb = b as Readonly<Record<string, Json>>;
  let n = 0;
  for (const k in ra) {
    if (!Object.hasOwn(rb, k) || !jsonEqual(ra[k] ?? null, rb[k] ?? null)) return false;
    n++;
  }
  for (const k in rb) if (Object.hasOwn(rb, k)) n--;
  return n === 0;
}

const isObject = (x: Json | undefined): x is Readonly<Record<string, Json>> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/** Where two JSON values differ: a JSON pointer below them, and the two values there. */
export interface Difference {
  readonly path: string;
  readonly expected: Json | undefined;
  readonly actual: Json | undefined;
}
/**
 * Where two JSON values first differ. A member that only `b` has (one the implementation cannot
 * observe, left out of the expectation, which it may still send for the report) is where they
 * differ only when nothing else differs.
 */
export function firstDifference(
  a: Json | undefined,
  b: Json | undefined,
  path = '',
): Difference | undefined {
  let extra: Difference | undefined;
  const walk = (x: Json | undefined, y: Json | undefined, at: string): Difference | undefined => {
    if (x !== undefined && y !== undefined && jsonEqual(x, y)) return undefined;
    if (x === undefined) {
      extra ??= { path: at, expected: x, actual: y };
      return undefined;
    }
    if (Array.isArray(x) && Array.isArray(y)) {
      for (let i = 0; i < Math.max(x.length, y.length); i++) {
        const d = walk(x[i], y[i], `${at}/${i}`);
        if (d) return d;
      }
      return undefined;
    }
    if (isObject(x) && isObject(y)) {
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
        const d = walk(own(x, k), own(y, k), `${at}/${k}`);
        if (d) return d;
      }
      return undefined;
    }
    return { path: at, expected: x, actual: y };
  };
  return walk(a, b, path) ?? extra;
}

/**
 * A member of an object from outside (a file, an implementation's hello or answer), own ones only:
 * every object inherits "constructor", "__proto__" and "toString".
 */
export const own = <T>(o: Readonly<Record<string, T>>, k: string): T | undefined =>
  Object.hasOwn(o, k) ? o[k] : undefined;

/** The expected value(s) an expectation allows, for messages. */
function shown(e: Expect, choices: Readonly<Record<string, string>>): Json {
  if (e.either) return { either: e.either.map((x) => shown(x, choices)) };
  if (e.byChoice) {
    const c = own(choices, e.byChoice.choice);
    const picked = c === undefined ? undefined : own(e.byChoice.cases, c);
    return picked ? shown(picked, choices) : { byChoice: e.byChoice.choice };
  }
  return e.result ?? null;
}

/** The members to leave out, as a tree of member names; null: this member goes. */
type Dropped = Map<string, Dropped | null>;

/**
 * `v` without the members the pointers name (fields the implementation cannot observe), in one
 * pass over `v` whatever the number of pointers (they come from the implementation's hello).
 */
export function withoutUnobserved(v: Json, pointers: readonly string[]): Json {
  return pointers.length ? without(v, droppedOf(pointers)) : v;
}

/** The tree of a pointer list, made once per list (a target's lists live as long as the run). */
const trees = new WeakMap<readonly string[], Dropped>();
function droppedOf(pointers: readonly string[]): Dropped {
  const made = trees.get(pointers);
  if (made) return made;
  const tree: Dropped = new Map();
  for (const p of pointers) {
    const path = p.split('/').slice(1);
    let node: Dropped | null | undefined = tree;
    path.forEach((k, i) => {
      if (!node) return; // a member above already goes
      if (i === path.length - 1) node.set(k, null);
      else {
        let next = node.get(k);
        if (next === undefined) node.set(k, (next = new Map()));
        node = next;
      }
    });
  }
  trees.set(pointers, tree);
  return tree;
}

function without(v: Json, tree: Dropped): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const o = v as Readonly<Record<string, Json>>;
  if (![...tree.keys()].some((k) => Object.hasOwn(o, k))) return v;
  return Object.fromEntries(
    Object.entries(o).flatMap(([key, x]): [string, Json][] => {
      const below = tree.get(key);
      return below === null ? [] : [[key, below === undefined ? x : without(x, below)]];
    }),
  );
}

function match(
  e: Expect,
  actual: Json,
  choices: Readonly<Record<string, string>>,
  unobserved: readonly string[] = NOTHING_UNOBSERVED,
): Match {
  if (e.either) {
    for (const alt of e.either) {
      const m = match(alt, actual, choices, unobserved);
      if (m.ok !== false) return m;
    }
    return { ok: false, expected: shown(e, choices) };
  }
  if (e.byChoice) {
    const value = own(choices, e.byChoice.choice);
    if (value === undefined)
      return {
        ok: 'skip',
        reason: `implementation does not declare the choice "${e.byChoice.choice}"`,
      };
    const picked = own(e.byChoice.cases, value);
    if (!picked) return { ok: 'skip', reason: `no expectation for ${e.byChoice.choice}=${value}` };
    return match(picked, actual, choices, unobserved);
  }
  const expected = withoutUnobserved(e.result ?? null, unobserved);
  return jsonEqual(expected, withoutUnobserved(actual, unobserved))
    ? MATCHED
    : { ok: false, expected, result: e.result ?? null };
}

/** A 64-bit value as the vectors write it: 0x and 16 lowercase hex digits. */
export const HEX64 = /^0x[0-9a-f]{16}$/;

/** The level whose entry a step returns, if it returns one (so that differing fields can be named). */
export function entryLevel(
  op: string,
  args: Readonly<Record<string, unknown>>,
): string | undefined {
  if (op === 'encode') return typeof args.level === 'string' ? args.level : undefined;
  if (
    /^(pte|pmd|pud)_(mk|wrprotect|clear|swp_mk|swp_clear|modify)/.test(op) ||
    op === 'pte_mkwrite'
  )
    return op.slice(0, 3);
  if (op === 'pmd_modify') return 'pmd';
  if (op === 'pfn_pte' || op === 'pfn_pmd' || op === 'pfn_pud') return op.slice(4);
  if (op === 'swp_entry_to_pte' || op === 'make_pte_marker' || op === '__swp_entry') return 'pte';
  return undefined;
}

const isHex64 = (x: Json | undefined): x is string => typeof x === 'string' && HEX64.test(x);
/** The member or element `k` of `x`. */
const member = (x: Json | undefined, k: string): Json | undefined =>
  Array.isArray(x) ? (x as readonly Json[])[Number(k)] : isObject(x) ? own(x, k) : undefined;
const text = (x: Json | undefined): string | undefined => (typeof x === 'string' ? x : undefined);

/**
 * The level of the entry at `path` (a JSON pointer) inside `result`, a step's whole expected result,
 * where the result says it; undefined where it does not (never a guess).
 */
export function nestedEntryLevel(
  arch: string,
  mode: string,
  op: string,
  result: Json,
  path: string,
): string | undefined {
  const s = path.split('/').slice(1);
  const n = s.length;
  const last = s[n - 1];
  const parent = s.slice(0, -1).reduce<Json | undefined>(member, result);
  // An access's hardware update: arm64 and riscv64 write only the leaf that mapped the access, whose
  // level the result gives (Arm ARM: the hardware AF and dirty state of a table descriptor need
  // FEAT_HAFT, which CpuFeatures lacks; riscv-priv Sv39: A and D of a non-leaf PTE are reserved).
  // x86_64 also sets A in the paging-structure entries above the leaf (SDM §4.8), and the result
  // does not say which entries an update is of: left undecoded.
  if (op === 'access' && n === 3 && s[0] === 'updates' && last === 'value')
    return arch === 'arm64' || arch === 'riscv64'
      ? (text(member(member(result, 'translated'), 'level')) ??
          text(member(member(result, 'fault'), 'level')))
      : undefined;
  // An EntryChange, in a Linux op's `changes` or in a woken access's.
  const change = n === 3 || (n === 6 && s[0] === 'woken' && s[2] === 'result');
  if (change && s[n - 3] === 'changes' && (last === 'old' || last === 'new'))
    return text(member(parent, 'level'));
  // A WalkEvent: p?d_entry and pte_entry are given their level's entry, hugetlb_entry its hstate's.
  if (n === 3 && s[0] === 'events' && last === 'value') {
    const event = text(member(parent, 'event')) ?? '';
    const named = /^(pgd|p4d|pud|pmd|pte)_entry$/.exec(event)?.[1];
    if (named) return named;
    const hmask = member(parent, 'hmask');
    return event === 'hugetlb_entry' && isHex64(hmask)
      ? hugetlbLevel(arch, mode, BigInt(hmask))
      : undefined;
  }
  // folio_walk_start: fw->pte, fw->pmd or fw->pud as fw->level says.
  if (op === 'folio_walk_start' && path === '/value') {
    const level = /^FW_LEVEL_(PTE|PMD|PUD)$/.exec(text(member(result, 'level')) ?? '')?.[1];
    return level?.toLowerCase();
  }
  return undefined;
}

/**
 * The entry whose fields differ: the step's result if it is an entry, else the first difference of a
 * structured result when that is a 64-bit value whose level the result gives.
 */
function differingEntry(
  v: LoadedVector,
  op: string,
  args: Readonly<Record<string, unknown>>,
  m: { expected: Json; result?: Json },
  actual: Json,
): { level: string; expected: bigint; actual: bigint } | undefined {
  const top = entryLevel(op, args);
  if (top && isHex64(m.expected) && isHex64(actual))
    return { level: top, expected: BigInt(m.expected), actual: BigInt(actual) };
  if (m.result === undefined || !isObject(m.expected)) return undefined;
  const d = firstDifference(m.expected, actual);
  if (!d || !isHex64(d.expected) || !isHex64(d.actual)) return undefined;
  const level = nestedEntryLevel(v.arch, v.mode, op, m.result, d.path);
  return level ? { level, expected: BigInt(d.expected), actual: BigInt(d.actual) } : undefined;
}

function skipOrFail(mismatches: readonly Mismatch[], reason: string): Judgement {
  return mismatches.length ? { verdict: 'fail', mismatches } : { verdict: 'skip', reason };
}

export function judge(
  v: LoadedVector,
  obs: VectorObservation,
  choices: Readonly<Record<string, string>>,
  unobserved: Readonly<Record<string, readonly string[]>> = NOTHING_UNOBSERVED_BY_OP,
): Judgement {
  if (obs.kind === 'error') return { verdict: 'error', reason: obs.reason };
  if (obs.steps.length !== v.steps.length) {
    return {
      verdict: 'error',
      reason: `implementation answered ${obs.steps.length} step(s) for ${v.steps.length}`,
    };
  }
  const mismatches: Mismatch[] = [];
  for (let i = 0; i < v.steps.length; i++) {
    const step = v.steps[i]!;
    const o = obs.steps[i] as StepObservation;
    // A step the implementation cannot do, or a choice it does not declare, skips the vector,
    // unless an earlier step already answered wrongly.
    if (o.kind === 'unsupported') return skipOrFail(mismatches, o.reason);
    const e = stepExpect(step) as Expect | undefined;
    if (!e) continue;
    const m = match(e, o.result, choices, unobserved[step.op]);
    if (m.ok === 'skip') return skipOrFail(mismatches, m.reason);
    if (m.ok) continue;
    const base = {
      pointer: `${v.pointer}/steps/${i}/expect`,
      step: i,
      op: step.op,
      expected: m.expected,
      actual: o.result,
    };
    const entry = differingEntry(v, step.op, step.args as Record<string, unknown>, m, o.result);
    mismatches.push(
      entry
        ? {
            ...base,
            level: entry.level,
            fields: fieldDiffs(v.arch, v.mode, entry.level, entry.expected, entry.actual),
          }
        : base,
    );
  }
  return mismatches.length ? { verdict: 'fail', mismatches } : { verdict: 'pass' };
}
