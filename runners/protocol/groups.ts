// The process groups of the implementation processes still alive. Each process leads its own group
// so that what it starts can be killed with it; a group is detached from the terminal, so its
// Ctrl-C no longer reaches it, and ptvec kills the groups left when it ends itself.

const groups = new Set<number>();
// Every signal whose default action ends the process and that a handler can catch: the 'exit' hook
// does not run on a death by signal. SIGHUP is the terminal or the SSH session closing.
const EXIT_STATUS = { SIGHUP: 129, SIGINT: 130, SIGQUIT: 131, SIGTERM: 143 } as const;
type Signal = keyof typeof EXIT_STATUS;
const SIGNALS = Object.keys(EXIT_STATUS) as Signal[];
const onSignal = Object.fromEntries(SIGNALS.map((s) => [s, () => endOn(s)])) as Record<
  Signal,
  () => void
>;
let exitHooked = false;

/** SIGKILL to every process of the group; a group already gone (ESRCH) is not an error. */
export function killGroup(pgid: number): boolean {
  try {
    process.kill(-pgid, 'SIGKILL');
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function killAll(): void {
  for (const g of groups) killGroup(g);
}

function endOn(signal: Signal): void {
  killAll();
  process.exit(EXIT_STATUS[signal]);
}

export function trackGroup(pgid: number): void {
  if (!exitHooked) {
    process.on('exit', killAll);
    exitHooked = true;
  }
  // The handlers replace the default exit on these signals, so only while there are groups.
  if (groups.size === 0) for (const s of SIGNALS) process.on(s, onSignal[s]);
  groups.add(pgid);
}

export function forgetGroup(pgid: number): void {
  if (!groups.delete(pgid) || groups.size > 0) return;
  for (const s of SIGNALS) process.off(s, onSignal[s]);
}

/** The groups alive, for tests. */
export const liveGroups = (): readonly number[] => [...groups];
