// A run that ends early and still writes its report: at `--max-time`, or on the first SIGHUP, SIGINT,
// SIGQUIT or SIGTERM (a CI job's own time limit, a closed terminal, Ctrl-C). The implementation is
// stopped (Implementation.stop): what it answered keeps its verdict, every other vector is an error
// that says why it was not run. A second signal ends ptvec at once (runners/protocol/groups.ts).
// The reference engine runs in-process and cannot be stopped part way: a signal ends its run as
// it ends any process, and --max-time is refused for it.

import type { Implementation } from './adapter.ts';
import { onInterrupt } from './protocol/groups.ts';

/** The longest --max-time: setTimeout fires at once past 2^31 - 1 ms. */
export const MAX_TIME_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

export interface EarlyEnd {
  /** Stop `impl` when the run ends early (at once, if it already has). */
  attach(impl: Implementation): void;
  /** The exit status of the signal that ended the run, if one did. */
  readonly status: number | undefined;
  /** Why the run ended early, if it did (its vectors not run are errors: `not run: ` and this). */
  readonly reason: string | undefined;
  dispose(): void;
}

/**
 * The early end of a run whose implementation can be stopped: at `maxTime` (its seconds, and the
 * text the user gave for them, which the reason repeats), or on a first
 * signal, from now on. `beforeStart` is called if that comes before an implementation is attached
 * (the command line kills the process still starting: its hello is not waited for).
 */
export function earlyEnd(
  maxTime: { readonly seconds: number; readonly given: string } | undefined,
  beforeStart: () => void,
): EarlyEnd {
  let reason: string | undefined;
  let status: number | undefined;
  const attached: Implementation[] = [];
  const notRun = (why: string) => `not run: ${why}`;
  const end = (why: string) => {
    if (reason !== undefined) return;
    reason = why;
    if (attached.length === 0) beforeStart();
    for (const impl of attached) impl.stop?.(notRun(why));
  };
  const timer =
    maxTime === undefined
      ? undefined
      : setTimeout(
          () => end(`the run's time limit was reached (--max-time ${maxTime.given})`),
          maxTime.seconds * 1000,
        ).unref();
  onInterrupt((signal, code) => {
    status = code;
    end(`the run was interrupted (${signal})`);
  });
  return {
    attach(impl) {
      attached.push(impl);
      if (reason !== undefined) impl.stop?.(notRun(reason));
    },
    get status() {
      return status;
    },
    get reason() {
      return reason;
    },
    dispose() {
      clearTimeout(timer);
      onInterrupt(undefined);
    },
  };
}
