// The process groups of the implementation processes still alive. Each process leads its own group
// so that what it starts can be killed with it; a group is detached from the terminal, so its
// Ctrl-C no longer reaches it, and ptvec kills the groups left when it ends itself. A run that can
// end early (runners/interrupt.ts) takes the first signal instead, and a second one ends ptvec.

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
/** Who takes the next signal instead of ending the process (onInterrupt). */
let interrupt: ((signal: Signal, status: number) => void) | undefined;
/** A signal was taken by `interrupt`: the next one still ends the process. */
let interrupted = false;

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
  const take = interrupt;
  if (take) {
    interrupt = undefined;
    interrupted = true;
    return take(signal, EXIT_STATUS[signal]);
  }
  killAll();
  process.exit(EXIT_STATUS[signal]);
}

let listening = false;
/** The handlers replace the default exit on these signals: only while there are groups or a run
 * that takes a signal. */
function listen(): void {
  const want = groups.size > 0 || interrupt !== undefined || interrupted;
  if (want === listening) return;
  for (const s of SIGNALS) {
    if (want) process.on(s, onSignal[s]);
    else process.off(s, onSignal[s]);
  }
  listening = want;
}

export function trackGroup(pgid: number): void {
  if (!exitHooked) {
    process.on('exit', killAll);
    exitHooked = true;
  }
  groups.add(pgid);
  listen();
}

export function forgetGroup(pgid: number): void {
  if (groups.delete(pgid)) listen();
}

/**
 * While `take` is set, the first SIGHUP, SIGINT, SIGQUIT or SIGTERM goes to it, with the exit status
 * it asks for, instead of ending the process; a second one ends the process as before. Undefined
 * hands the signals back.
 */
export function onInterrupt(take: ((signal: Signal, status: number) => void) | undefined): void {
  interrupt = take;
  if (take === undefined) interrupted = false;
  listen();
}

/** The groups alive, for tests. */
export const liveGroups = (): readonly number[] => [...groups];
