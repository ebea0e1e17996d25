// What every command of the command line shares: usage errors, argument parsing, and a stdout that
// a reader may close.

import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

// A reader that closes our stdout (`ptvec list | head`) ends what we print, quietly; files are still written.
let stdoutClosed = false;
let watching = false;
export function out(text: string): void {
  if (!stdoutClosed) process.stdout.write(text);
}
export function watchStdout(): void {
  if (watching) return;
  watching = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    stdoutClosed = true;
  });
}

type Parsed<O extends NonNullable<ParseArgsConfig['options']>> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
): Parsed<O> {
  let parsed: Parsed<O> & { tokens: ReturnType<typeof parseArgs>['tokens'] };
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    const { code, message } = e as NodeJS.ErrnoException;
    const given = /'([^']*)'/.exec(message)?.[1];
    if (code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || given === undefined)
      throw new UsageError(message);
    const near = closest(
      given,
      Object.keys(options).map((o) => `--${o}`),
    );
    throw new UsageError(`unknown option ${given}${near ? ` (did you mean ${near}?)` : ''}`);
  }
  // parseArgs keeps the last of an option given twice: `--shard 1/3 --shard 2/3` would run one shard.
  const seen = new Set<string>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== 'option' || t.value === undefined || options[t.name]?.multiple) continue;
    if (seen.has(t.name)) throw new UsageError(`--${t.name} is given twice: it takes one value`);
    seen.add(t.name);
  }
  return { values: parsed.values, positionals: parsed.positionals } as Parsed<O>;
}

/** Whether the arguments ask for help (`--help` or `-h` before any `--`). */
export function asksHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** Edits (insert, delete, replace, swap two neighbours) from a to b. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      const up = d[i - 1]!;
      row[j] = Math.min(up[j]! + 1, row[j - 1]! + 1, up[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** The one of `names` that `given` is most likely a typo of (at most two edits), or undefined. */
export function closest(given: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let least = 3;
  for (const n of names) {
    const k = distance(given, n);
    if (k < least && k < n.length / 2) [best, least] = [n, k];
  }
  return best;
}
