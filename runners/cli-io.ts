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
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
