// What every command of the command line shares: usage errors, argument parsing, and a stdout that
// a reader may close.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closest } from './vectors/quote.ts';

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
