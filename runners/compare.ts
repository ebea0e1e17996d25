// Judge an implementation's observations against a vector's expectations. Never consults the
// reference engine: the vector is the only oracle (DESIGN.md "Architecture").

import type { Json, StepObservation, VectorObservation } from './adapter.ts';
import { fieldDiffs, type FieldDiff } from './arch.ts';
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

type Match = { ok: true } | { ok: false; expected: Json } | { ok: 'skip'; reason: string };
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

/** Where two JSON values first differ (a JSON pointer below them), and the two values there. */
export interface Difference {
  readonly path: string;
  readonly expected: Json | undefined;
  readonly actual: Json | undefined;
}
export function firstDifference(
  a: Json | undefined,
  b: Json | undefined,
  path = '',
): Difference | undefined {
  if (a !== undefined && b !== undefined && jsonEqual(a, b)) return undefined;
  const obj = (x: Json | undefined): x is Readonly<Record<string, Json>> =>
    typeof x === 'object' && x !== null && !Array.isArray(x);
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${path}/${i}`);
      if (d) return d;
    }
  } else if (obj(a) && obj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(own(a, k), own(b, k), `${path}/${k}`);
      if (d) return d;
    }
  }
  return { path, expected: a, actual: b };
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
    : { ok: false, expected };
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
    const level = entryLevel(step.op, step.args as Record<string, unknown>);
    const base = {
      pointer: `${v.pointer}/steps/${i}/expect`,
      step: i,
      op: step.op,
      expected: m.expected,
      actual: o.result,
    };
    if (
      level &&
      typeof m.expected === 'string' &&
      typeof o.result === 'string' &&
      HEX64.test(m.expected) &&
      HEX64.test(o.result)
    ) {
      mismatches.push({
        ...base,
        level,
        fields: fieldDiffs(v.arch, v.mode, level, BigInt(m.expected), BigInt(o.result)),
      });
    } else {
      mismatches.push(base);
    }
  }
  return mismatches.length ? { verdict: 'fail', mismatches } : { verdict: 'pass' };
}
