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
  private readonly used: Record<WorkKind, number> = { events: 0, changes: 0, tables: 0, visits: 0 };

  constructor(private readonly budget: Readonly<Record<WorkKind, number>> = WORK_BUDGET) {}

  charge(kind: WorkKind, n = 1): void {
    if ((this.used[kind] += n) > this.budget[kind]) throw new WorkBudgetExceeded(kind);
  }
}

/** No limit: for measuring the engine on more than a vector may ask for. */
export const UNLIMITED: Readonly<Record<WorkKind, number>> = {
  events: Infinity,
  changes: Infinity,
  tables: Infinity,
  visits: Infinity,
};
