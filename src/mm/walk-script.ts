// A vector's scripted struct mm_walk_ops (schemas WalkOps/Callback/CallbackRule) as WalkCallbacks that
// record every call as an event, in order, with the arguments the kernel passes.

import type { U64 } from '../bits/u64.ts';
import { VectorFormatError } from '../errors.ts';
import {
  ACTION_AGAIN,
  ACTION_CONTINUE,
  ACTION_SUBTREE,
  type Action,
  type MmWalk,
  emit,
  type WalkCallbacks,
  type WalkLock,
} from './pagewalk.ts';
import { hugeEntryLevel } from './pagewalk-hugetlb.ts';
import type { LinuxState } from './state.ts';

export const CALLBACKS = [
  'pgd_entry',
  'p4d_entry',
  'pud_entry',
  'pmd_entry',
  'pte_entry',
  'pte_hole',
  'hugetlb_entry',
  'test_walk',
  'pre_vma',
  'post_vma',
  'install_pte',
] as const;
export type CallbackName = (typeof CALLBACKS)[number];
export type ActionName = 'ACTION_SUBTREE' | 'ACTION_CONTINUE' | 'ACTION_AGAIN';

export interface RuleScript {
  readonly when?: { readonly addr?: U64; readonly call?: number; readonly vma?: string | null };
  readonly times?: number;
  readonly return?: number;
  readonly action?: ActionName;
  readonly write?: U64;
}
export interface CallbackScript {
  readonly return?: number;
  readonly action?: ActionName;
  readonly write?: U64;
  readonly rules?: readonly RuleScript[];
}
export type WalkOpsScript = { readonly [K in CallbackName]?: CallbackScript } & {
  readonly walk_lock?: WalkLock;
};

const ACTIONS: Readonly<Record<ActionName, Action>> = {
  ACTION_SUBTREE,
  ACTION_CONTINUE,
  ACTION_AGAIN,
};
const HAS_ACTION = new Set<CallbackName>(['pud_entry', 'pmd_entry']);
const HAS_ENTRY = new Set<CallbackName>([
  'pgd_entry',
  'p4d_entry',
  'pud_entry',
  'pmd_entry',
  'pte_entry',
  'hugetlb_entry',
  'install_pte',
]);

interface Decision {
  readonly ret: number;
  readonly action: Action | undefined;
  readonly write: U64 | undefined;
}

/** Check a script (format errors point into it) and compile one callback's decision function. */
function compile(
  name: CallbackName,
  cb: CallbackScript,
  st: LinuxState | undefined,
  at: string,
): (call: number, addr: U64 | undefined, vma: string | null) => Decision {
  const check = (r: RuleScript | CallbackScript, p: string) => {
    if (r.action !== undefined && !HAS_ACTION.has(name))
      throw new VectorFormatError(`${name} has no walk->action to set`, `${p}/action`);
    if (r.write !== undefined && !HAS_ENTRY.has(name))
      throw new VectorFormatError(`${name} has no entry pointer to store through`, `${p}/write`);
    if (r.return !== undefined && name === 'post_vma')
      throw new VectorFormatError('post_vma returns void', `${p}/return`);
  };
  check(cb, at);
  const rules = cb.rules ?? [];
  rules.forEach((r, i) => {
    const p = `${at}/rules/${i}`;
    check(r, p);
    if (r.action === 'ACTION_AGAIN' && r.times === undefined && r.when?.call === undefined)
      throw new VectorFormatError(
        'ACTION_AGAIN needs a bound (`times` or `when.call`): otherwise the walk never ends',
        `${p}/action`,
      );
    const v = r.when?.vma;
    if (typeof v === 'string' && !st?.vmas.has(v))
      throw new VectorFormatError(`no VMA is named "${v}"`, `${p}/when/vma`);
  });
  if (name === 'install_pte' && cb.write === undefined && rules.some((r) => r.write === undefined))
    throw new VectorFormatError('install_pte needs the PTE it returns: `write`', `${at}/write`);
  const used = rules.map(() => 0);
  return (call, addr, vma) => {
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      const w = r.when;
      if (w?.call !== undefined && w.call !== call) continue;
      if (w?.addr !== undefined && w.addr !== addr) continue;
      if (w?.vma !== undefined && w.vma !== vma) continue;
      if (r.times !== undefined && used[i]! >= r.times) continue;
      used[i]!++;
      const action = r.action ?? cb.action;
      return {
        ret: r.return ?? cb.return ?? 0,
        action: action === undefined ? undefined : ACTIONS[action],
        write: r.write ?? cb.write,
      };
    }
    return {
      ret: cb.return ?? 0,
      action: cb.action === undefined ? undefined : ACTIONS[cb.action],
      write: cb.write,
    };
  };
}

/** Validate a script without running it (for `ptvec lint` and the loader). */
export function checkScript(s: WalkOpsScript, st: LinuxState | undefined, at: string): void {
  for (const name of CALLBACKS) {
    const cb = s[name];
    if (cb) compile(name, cb, st, `${at}/${name}`);
  }
}

/**
 * The most ACTION_AGAIN repeats of one entry a script can ask for: every rule used up (`times`) and
 * every `when.call` passed. After that each callback decides by address and VMA alone, so one more
 * round reaches a state that repeats forever.
 */
function repeatBound(s: WalkOpsScript): number {
  let used = 0;
  let lastCall = 0;
  for (const name of CALLBACKS)
    for (const r of s[name]?.rules ?? []) {
      used += r.times ?? 0;
      lastCall = Math.max(lastCall, r.when?.call ?? 0);
    }
  return used + lastCall;
}

/** The callbacks of a script; every call is recorded as an event of the walk. */
export function scriptedOps(
  s: WalkOpsScript,
  st: LinuxState | undefined,
  at: string,
): WalkCallbacks {
  const vmaOf = (w: MmWalk) => (w.vma ? { vma: w.vma.name } : {});
  const decide = (name: CallbackName) => {
    const cb = s[name];
    if (!cb) return undefined;
    const f = compile(name, cb, st, `${at}/${name}`);
    let calls = 0;
    return (w: MmWalk, addr: U64 | undefined) => f(++calls, addr, w.vma ? w.vma.name : null);
  };
  // p?d_entry: a store through the pointer is a change at the level the callback was given.
  const entry = (name: 'pgd_entry' | 'p4d_entry' | 'pud_entry' | 'pmd_entry', c: 0 | 1 | 2 | 3) => {
    const d = decide(name);
    if (!d) return undefined;
    return (w: MmWalk, pa: number, addr: U64, next: U64): number => {
      const v = w.t.read(pa);
      // A table the walk allocated is `table`: its address is the implementation's choice.
      const value = w.t.isStepTable(c, v) ? 'table' : v;
      emit(w, { event: name, addr, next, value, ...vmaOf(w) });
      const r = d(w, addr);
      if (r.write !== undefined) w.t.write(w.tree, c, pa, addr, r.write);
      if (r.action !== undefined) w.action = r.action;
      return r.ret;
    };
  };
  const pte = decide('pte_entry');
  const hole = decide('pte_hole');
  const huge = decide('hugetlb_entry');
  const test = decide('test_walk');
  const pre = decide('pre_vma');
  const post = decide('post_vma');
  const install = decide('install_pte');
  const ops: WalkCallbacks = {
    walk_lock: s.walk_lock ?? 'PGWALK_RDLOCK',
    repeats: repeatBound(s),
    pgd_entry: entry('pgd_entry', 0),
    p4d_entry: entry('p4d_entry', 1),
    pud_entry: entry('pud_entry', 2),
    pmd_entry: entry('pmd_entry', 3),
    pte_entry:
      pte &&
      ((w: MmWalk, pa: number, addr0: U64, j: number): number => {
        const page = 1n << BigInt(w.t.pageShift);
        const addr = addr0 + BigInt(j) * page;
        emit(w, {
          event: 'pte_entry',
          addr,
          next: addr + page,
          value: w.t.read(pa),
          ...vmaOf(w),
        });
        const r = pte(w, addr);
        if (r.write !== undefined) w.t.write(w.tree, 4, pa, addr, r.write);
        return r.ret;
      }),
    pte_hole:
      hole &&
      ((w: MmWalk, addr: U64, next: U64, depth: number): number => {
        emit(w, { event: 'pte_hole', addr, next, depth, ...vmaOf(w) });
        return hole(w, addr).ret;
      }),
    hugetlb_entry:
      huge &&
      ((w: MmWalk, pa: number, hmask: U64, addr: U64, next: U64): number => {
        emit(w, {
          event: 'hugetlb_entry',
          addr,
          next,
          hmask,
          value: w.t.read(pa),
          ...vmaOf(w),
        });
        const r = huge(w, addr);
        // The entry huge_pte_offset gave: by the hstate, a PUD, a PMD or a contiguous run's first.
        if (r.write !== undefined)
          w.t.write(w.tree, hugeEntryLevel(w, pa, addr & hmask), pa, addr, r.write);
        return r.ret;
      }),
    test_walk:
      test &&
      ((w: MmWalk, start: U64, end: U64): number => {
        emit(w, { event: 'test_walk', addr: start, next: end, ...vmaOf(w) });
        return test(w, start).ret;
      }),
    pre_vma:
      pre &&
      ((w: MmWalk, start: U64, end: U64): number => {
        emit(w, { event: 'pre_vma', addr: start, next: end, ...vmaOf(w) });
        return pre(w, start).ret;
      }),
    post_vma:
      post &&
      ((w: MmWalk): void => {
        emit(w, { event: 'post_vma', ...vmaOf(w) });
        post(w, undefined);
      }),
    install_pte:
      install &&
      ((w: MmWalk, addr: U64, next: U64) => {
        emit(w, { event: 'install_pte', addr, next, ...vmaOf(w) });
        const r = install(w, addr);
        return { ret: r.ret, pte: r.write ?? 0n };
      }),
  };
  return ops;
}

declare module '../ops/types.ts' {
  interface OpArgs {
    readonly ops?: WalkOpsScript;
  }
}
