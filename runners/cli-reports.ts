// The reports a command writes: `--reporter NAME[=FILE]` parsed and checked before the run (a FILE's
// directory is made, a FILE that cannot be written is a usage error), the reports rendered and
// written after it, and the problems of the vector files on stderr.

import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { out, UsageError } from './cli-io.ts';
import { realFile } from './paths.ts';
import { REPORTERS, type ReporterName } from './reporters/names.ts';
import type { RunReport } from './run.ts';
import { findVectorFiles, type Problem } from './vectors/files.ts';
import { counted, shorten } from './vectors/quote.ts';

export interface ReporterSpec {
  readonly name: ReporterName;
  readonly file?: string;
}

/**
 * The --reporter options of a command, checked; `reads` are the vector paths of a run, whose files
 * no report may overwrite.
 */
export function reporters(specs: string[] | undefined, reads?: readonly string[]): ReporterSpec[] {
  const parsed = (specs ?? ['pretty']).map((s): ReporterSpec => {
    const [name, file] = s.split(/=(.*)/s, 2) as [ReporterSpec['name'], string | undefined];
    if (!REPORTERS.includes(name))
      throw new UsageError(
        `--reporter ${s}: expected pretty, json, junit, tap or html, optionally =FILE`,
      );
    return file ? { name, file } : { name };
  });
  if (parsed.filter((r) => !r.file).length > 1)
    throw new UsageError('--reporter: at most one reporter can write to stdout');
  // Before the run: a report that cannot be written is found now, not after the run. Its directory
  // is made if need be (`--reporter junit=reports/ptvec.xml` in a fresh CI checkout).
  const read = reads && parsed.some((r) => r.file) ? readFiles(reads) : new Set<string>();
  for (const r of parsed) {
    if (!r.file) continue;
    const because = read.has(realFile(r.file))
      ? 'it is a vector file this run reads, which the report would overwrite'
      : prepareReportFile(r.file);
    if (because) throw new UsageError(`--reporter ${r.name}=${r.file}: ${because}`);
  }
  return parsed;
}

const readFiles = (paths: readonly string[]): Set<string> =>
  new Set(findVectorFiles(paths, []).map(realFile));

/** Renders a report piece by piece into `write`; why it could not, or undefined. */
function emit(parts: Iterable<string>, write: (text: string) => void): string | undefined {
  const it = parts[Symbol.iterator]();
  for (;;) {
    let next: IteratorResult<string>;
    try {
      next = it.next();
    } catch (e) {
      return `cannot render the report: ${(e as Error).message}`;
    }
    if (next.done) return undefined;
    try {
      write(next.value);
    } catch (e) {
      return `cannot write: ${(e as Error).message}`;
    }
  }
}

/** Writes a report file piece by piece (a JSON report may be longer than a string); a file left
 * half written is removed. Why it could not be written, or undefined. */
function writeReport(file: string, parts: Iterable<string>): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'w');
  } catch (e) {
    return `cannot write: ${(e as Error).message}`;
  }
  const because = emit(parts, (text) => writeSync(fd, text));
  closeSync(fd);
  if (because) rmSync(file, { force: true });
  return because;
}

/**
 * A directory and its missing parents, one mkdir each. node's `mkdirSync(dir, { recursive: true })`
 * retries for ever where mkdir fails with ENOENT under a directory that exists (`/proc/x/y`).
 */
function makeDirectory(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) makeDirectory(parent);
  try {
    mkdirSync(dir);
  } catch (e) {
    // Made meanwhile by someone else: what matters is that it is a directory now.
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(dir).isDirectory()) throw e;
  }
}

/**
 * Makes the directory of a report file and opens the file for appending (a new file is removed
 * again), so that a file the system refuses (`/proc/x.xml`) is found before the run; a FIFO or a
 * device is not opened, which would wait for a reader. Why the file cannot be written, or undefined.
 */
function prepareReportFile(file: string): string | undefined {
  try {
    makeDirectory(dirname(file));
    const existed = existsSync(file);
    if (existed && statSync(file).isDirectory()) return 'cannot write: it is a directory';
    accessSync(existed ? file : dirname(file), constants.W_OK);
    if (!existed || statSync(file).isFile()) {
      closeSync(openSync(file, 'a'));
      if (!existed) rmSync(file, { force: true });
    }
    return undefined;
  } catch (e) {
    const { code, message } = e as NodeJS.ErrnoException;
    return code === 'EEXIST' || code === 'ENOTDIR'
      ? `cannot write: a file is in the way of its directory ${dirname(file)}`
      : `cannot write: ${message}`;
  }
}

const useColour = () => process.stdout.isTTY && !process.env.NO_COLOR && !process.env.CI;

export async function printProblems(problems: readonly Problem[]): Promise<void> {
  if (!problems.length) return;
  const { problemLine } = await import('./reporters/pretty.ts');
  for (const p of problems)
    process.stderr.write(`${p.severity === 'warning' ? 'warning' : 'error'}: ${problemLine(p)}\n`);
}

/** Writes every report; false if one could not be written (said on stderr; the others still are). */
export async function writeReports(
  reps: readonly ReporterSpec[],
  report: RunReport,
): Promise<boolean> {
  const [{ renderParts }, { COLOUR, PLAIN }] = await Promise.all([
    import('./reporters/render.ts'),
    import('./reporters/pretty.ts'),
  ]);
  let wrote = true;
  for (const r of reps) {
    const parts = renderParts(report, r.name, r.file || !useColour() ? PLAIN : COLOUR);
    // Its directory was made before the run (reporters). One reporter that fails costs its own
    // report, not the others.
    const because = r.file ? writeReport(r.file, parts) : emit(parts, out);
    if (because) {
      wrote = false;
      process.stderr.write(
        `ptvec: --reporter ${r.name}${r.file ? `=${r.file}` : ''}: ${because}\n`,
      );
    }
  }
  if (!reps.some((r) => r.name === 'pretty' && !r.file)) {
    const s = report.summary;
    process.stderr.write(
      `${counted(s.total, 'vector')}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped, ${s.xfailed} xfailed, ${s.xpassed} xpassed, ${counted(s.errors, 'error')}, ${counted(s.problems, 'problem')}\n`,
    );
    await printProblems(report.problems);
    if (report.stopped !== undefined)
      process.stderr.write(`ptvec: the run ended early: ${shorten(report.stopped)}\n`);
  }
  return wrote;
}
