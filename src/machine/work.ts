// The work budget of one vector (DESIGN.md "Scenarios across the CPU and the kernel"): what its steps
// may make the engine do, counted as they run. A vector that asks for more is bad input, named with
// its step; it never costs the process its memory or the run its report.

import { VectorFormatError } from '../errors.ts';

/** Per vector, summed over its steps. */
export const WORK_BUDGET = {
  /** Observable events (walk callbacks, WARNs, flushes, lazy-MMU and pageattr events). */
  events: 20_000,
  /** Distinct page-table entries a step changed. */
  changes: 20_000,
  /** Page-table frames allocated by steps (install_pte, THP splits), beyond the setup's. */
  tables: 1_024,
  /** Entries visited by the page walkers, repeats included (a run of skipped empty entries counts once per frame). */
  visits: 1_000_000,
} as const;

export type WorkKind = keyof typeof WORK_BUDGET;

const WHAT: Readonly<Record<WorkKind, string>> = {
  events: 'events',
  changes: 'changed entries',
  tables: 'new page tables',
  visits: 'page-table entries visited',
};

export const describeBudget = (): string =>
  (Object.keys(WORK_BUDGET) as WorkKind[]).map((k) => `${WORK_BUDGET[k]} ${WHAT[k]}`).join(', ');

/** A step needed more than the budget allows; the engine adds the step's pointer. */
export class WorkBudgetExceeded extends VectorFormatError {
  constructor(readonly kind: WorkKind) {
    super(
      `exceeds the work budget of a vector: more than ${WORK_BUDGET[kind]} ${WHAT[kind]} (the budget: ${describeBudget()})`,
    );
  }
}

/** The work a vector has done so far, against a budget (the vector's, or none for a benchmark). */
export class Work {
  // One field per kind (a keyed access by kind is slow where the kind varies: walkers' hot paths).
  private events = 0;
  private changes = 0;
  private tables = 0;
  private visits = 0;
  private readonly limit: readonly [number, number, number, number];

  constructor(budget: Readonly<Record<WorkKind, number>> = WORK_BUDGET) {
    this.limit = [budget.events, budget.changes, budget.tables, budget.visits];
  }

  charge(kind: WorkKind, n = 1): void {
    let over: boolean;
    switch (kind) {
      case 'events':
        over = (this.events += n) > this.limit[0];
        break;
      case 'changes':
        over = (this.changes += n) > this.limit[1];
        break;
      case 'tables':
        over = (this.tables += n) > this.limit[2];
        break;
      case 'visits':
        over = (this.visits += n) > this.limit[3];
        break;
    }
    if (over) throw new WorkBudgetExceeded(kind);
  }
}

/** No limit: for measuring the engine on more than a vector may ask for. */
export const UNLIMITED: Readonly<Record<WorkKind, number>> = {
  events: Infinity,
  changes: Infinity,
  tables: Infinity,
  visits: Infinity,
};
