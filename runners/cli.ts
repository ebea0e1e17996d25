// The ptvec command line (DESIGN.md "The command line").

import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { cmdDecode, cmdEncode } from './cli-entries.ts';
import { COMMANDS, helpFor, USAGE } from './cli-help.ts';
import { out, parse, UsageError, watchStdout } from './cli-io.ts';
import type { ParseArgsConfig } from 'node:util';
import type { Implementation } from './adapter.ts';
import { referenceImplementation } from './adapters/reference.ts';
import { loadExpectFail, loadExpectFailDir } from './expect-fail.ts';
import { lint } from './lint.ts';
import { COLOUR, PLAIN, problemLine } from './reporters/pretty.ts';
import { render, REPORTERS, type ReporterName } from './reporters/render.ts';
import { mergeReports } from './merge.ts';
import { execImplementation } from './protocol/client.ts';
import { splitCommandLine } from './protocol/command-line.ts';
import { serve } from './protocol/server.ts';
import { exitCode, summarize, toolVersion, type RunReport, type Summary } from './run.ts';
import { run } from './run-vectors.ts';
import { executeInThreads } from './threads.ts';
import { parseShard, select, type Selection } from './select.ts';
import { unknownName } from './selection.ts';
import { shorten } from './vectors/quote.ts';
import type { Problem } from './vectors/files.ts';
import { loadVectors } from './load.ts';

const SELECT_OPTS = {
  arch: { type: 'string', multiple: true },
  mode: { type: 'string', multiple: true },
  family: { type: 'string', multiple: true },
  tag: { type: 'string', multiple: true },
  grep: { type: 'string', multiple: true },
  shard: { type: 'string' },
  'allow-empty': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

function selection(v: {
  arch?: string[];
  mode?: string[];
  family?: string[];
  tag?: string[];
  grep?: string[];
  shard?: string;
}): Selection {
  // Filter values that name nothing are usage errors, not empty selections.
  const bad = unknownName(v);
  if (bad)
    throw new UsageError(
      `--${bad.filter} ${shorten(bad.value)}: expected one of ${bad.known.join(', ')}`,
    );
  const grep = (v.grep ?? []).map((g) => {
    try {
      return new RegExp(g);
    } catch (e) {
      throw new UsageError(`--grep ${shorten(g)}: ${shorten((e as Error).message)}`);
    }
  });
  let shard: Selection['shard'];
  if (v.shard !== undefined) {
    shard = parseShard(v.shard);
    if (!shard) throw new UsageError(`--shard ${shorten(v.shard)}: expected I/N with 1 <= I <= N`);
  }
  return {
    arch: v.arch ?? [],
    mode: v.mode ?? [],
    family: v.family ?? [],
    tag: v.tag ?? [],
    grep,
    ...(shard ? { shard } : {}),
  };
}

/**
 * A run that selected nothing, or judged nothing of what it selected, is not a green run: it says so,
 * and exits 2 unless --allow-empty.
 */
function emptiness(s: Summary, allow: boolean | undefined): number {
  const judged = s.total - s.skipped;
  const why =
    s.total === 0
      ? 'no vector matches the selection'
      : judged === 0
        ? `nothing was judged: all ${s.total} selected vectors were skipped`
        : undefined;
  if (why === undefined) return 0;
  process.stderr.write(
    `ptvec: ${allow ? 'warning' : 'error'}: ${why}${allow ? '' : ' (--allow-empty accepts this)'}\n`,
  );
  return allow ? 0 : 2;
}

interface ReporterSpec {
  readonly name: ReporterName;
  readonly file?: string;
}

function reporters(specs: string[] | undefined): ReporterSpec[] {
  const out = (specs ?? ['pretty']).map((s): ReporterSpec => {
    const [name, file] = s.split(/=(.*)/s, 2) as [ReporterSpec['name'], string | undefined];
    if (!REPORTERS.includes(name))
      throw new UsageError(
        `--reporter ${s}: expected pretty, json, junit, tap or html, optionally =FILE`,
      );
    return file ? { name, file } : { name };
  });
  if (out.filter((r) => !r.file).length > 1)
    throw new UsageError('--reporter: at most one reporter can write to stdout');
  return out;
}

const useColour = () => process.stdout.isTTY && !process.env.NO_COLOR && !process.env.CI;

function printProblems(problems: readonly Problem[]): void {
  for (const p of problems)
    process.stderr.write(`${p.severity === 'warning' ? 'warning' : 'error'}: ${problemLine(p)}\n`);
}

const positive = (flag: string, v: string | undefined, dflt: number, max: number): number => {
  if (v === undefined) return dflt;
  if (!/^[1-9][0-9]*$/.test(v) || Number(v) > max)
    throw new UsageError(`${flag}: expected an integer from 1 to ${max}`);
  return Number(v);
};

async function implementation(values: {
  impl?: string;
  exec?: string;
  timeout?: string;
  jobs?: string;
}): Promise<Implementation> {
  // setTimeout fires at once for a delay past 2^31 - 1 ms; more processes than this serve nothing.
  const timeoutMs = positive('--timeout', values.timeout, 10_000, 2 ** 31 - 1);
  const jobs = positive('--jobs', values.jobs, 1, 256);
  if (values.exec === undefined) {
    if (values.impl === 'qemu') {
      // Loaded only for --impl qemu: no other command pays for the QEMU adapter.
      const [{ ensureHarnesses }, { qemuImplementation }, { TARGETS }] = await Promise.all([
        import('./adapters/qemu/build.ts'),
        import('./adapters/qemu/index.ts'),
        import('./adapters/qemu/targets.ts'),
      ]);
      const failed = ensureHarnesses(Object.values(TARGETS));
      if (failed) process.stderr.write(`${failed}\n`);
      return qemuImplementation({ jobs, timeoutMs });
    }
    if (values.impl !== undefined && values.impl !== 'ref')
      throw new UsageError(
        `--impl ${values.impl}: the implementations are: ref, qemu (or use --exec)`,
      );
    return referenceImplementation();
  }
  if (values.impl !== undefined) throw new UsageError('--impl and --exec: give one of them');
  const argv = splitCommandLine(values.exec);
  if ('error' in argv) throw new UsageError(`--exec ${values.exec}: ${argv.error}`);
  return execImplementation({ argv, timeoutMs, jobs });
}

function progressLine(): ((d: number, t: number) => void) | undefined {
  if (!process.stderr.isTTY || process.env.CI) return undefined;
  const t0 = Date.now();
  return (d, t) => {
    const s = ((Date.now() - t0) / 1000).toFixed(1);
    process.stderr.write(
      d === t ? '\r\u001b[K' : `\r\u001b[K${d}/${t} vectors (${Math.floor((100 * d) / t)}%) ${s}s`,
    );
  };
}

function writeReports(reps: readonly ReporterSpec[], report: RunReport): void {
  for (const r of reps) {
    const text = render(report, r.name, r.file || !useColour() ? PLAIN : COLOUR);
    if (r.file) writeFileSync(r.file, text);
    else out(text);
  }
  if (!reps.some((r) => r.name === 'pretty' && !r.file)) {
    const s = report.summary;
    process.stderr.write(
      `${s.total} vectors: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped, ${s.xfailed} xfailed, ${s.xpassed} xpassed, ${s.errors} errors, ${s.problems} problems\n`,
    );
    printProblems(report.problems);
  }
}

async function cmdRun(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...SELECT_OPTS,
    'expect-fail': { type: 'string' },
    reporter: { type: 'string', multiple: true },
    impl: { type: 'string' },
    exec: { type: 'string' },
    timeout: { type: 'string' },
    jobs: { type: 'string' },
  });
  const sel = selection(values);
  const reps = reporters(values.reporter);
  const problems: Problem[] = [];
  const expectFail =
    values['expect-fail'] !== undefined
      ? loadExpectFail(values['expect-fail'], problems)
      : values.impl === 'qemu' && values.exec === undefined
        ? loadExpectFailDir(
            (await import('./adapters/qemu/index.ts')).QEMU_EXPECTED_FAILURES,
            problems,
          )
        : undefined;
  if (problems.length) {
    printProblems(problems);
    return 2;
  }
  // An implementation process starts while the vectors load (the hello is read after).
  const started = implementation(values);
  const loaded = values.exec === undefined ? undefined : loadVectors(positionals, true);
  const impl = await started;
  const onProgress = progressLine();
  const opts = {
    selection: sel,
    ...(expectFail ? { expectFail } : {}),
    ...(onProgress ? { onProgress } : {}),
  };
  try {
    const reference = values.exec === undefined && values.impl !== 'qemu';
    // At most one thread per core: a thread is a heap of its own.
    const threads = reference
      ? Math.min(positive('--jobs', values.jobs, 1, 256), availableParallelism())
      : 1;
    const report =
      threads > 1
        ? await executeInThreads(positionals, opts, threads).catch((e: unknown) => {
            // A thread's failure is ptvec's bug; the run still gets its report, on one thread.
            process.stderr.write(
              `ptvec: a run thread failed (${e instanceof Error ? e.message : String(e)}); running on one thread\n`,
            );
            return run(impl, { ...opts, vectors: positionals });
          })
        : await run(impl, { ...opts, vectors: loaded ?? positionals });
    writeReports(reps, report);
    return Math.max(exitCode(report), emptiness(report.summary, values['allow-empty']));
  } finally {
    await impl.close();
  }
}

function cmdMerge(argv: string[]): number {
  const { values, positionals } = parse(argv, {
    reporter: { type: 'string', multiple: true },
  });
  const reps = reporters(values.reporter);
  if (!positionals.length) throw new UsageError('merge: expected the JSON reports of the shards');
  const m = mergeReports(positionals);
  if (!m.report) {
    printProblems(m.problems);
    return 2;
  }
  writeReports(reps, m.report);
  return exitCode(m.report);
}

async function cmdServe(argv: string[]): Promise<number> {
  parse(argv, {});
  return serve(process.stdin, process.stdout, process.stderr);
}

function cmdList(argv: string[]): number {
  const { values, positionals } = parse(argv, SELECT_OPTS);
  const sel = selection(values);
  const loaded = loadVectors(positionals);
  const chosen = select(sel, loaded.vectors);
  out(chosen.map((v) => `${v.id}\n`).join(''));
  printProblems(loaded.problems);
  const invalid = loaded.problems.some((p) => p.severity !== 'warning') ? 2 : 0;
  const empty = chosen.length ? 0 : emptiness(summarize([], 0), values['allow-empty']);
  return Math.max(invalid, empty);
}

function cmdLint(argv: string[]): number {
  const { positionals } = parse(argv, {});
  const r = lint(positionals);
  printProblems(r.problems);
  const errors = r.problems.filter((p) => p.severity !== 'warning').length;
  process.stderr.write(
    `${r.files} files, ${r.vectors} vectors, ${errors} errors, ${r.problems.length - errors} warnings\n`,
  );
  return errors ? 2 : 0;
}

export async function main(argv: string[]): Promise<number> {
  watchStdout();
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'run':
        return await cmdRun(rest);
      case 'list':
        return cmdList(rest);
      case 'lint':
        return cmdLint(rest);
      case 'decode':
        return cmdDecode(rest);
      case 'encode':
        return cmdEncode(rest);
      case 'serve':
        return await cmdServe(rest);
      case 'merge':
        return cmdMerge(rest);
      case 'help':
      case '--help':
      case '-h': {
        const [about, ...extra] = rest;
        if (extra.length) throw new UsageError('help: expected at most one command');
        if (about === undefined) {
          out(USAGE + '\n');
          return 0;
        }
        const h = helpFor(about);
        if ('unknown' in h) throw new UsageError(h.unknown);
        out(h.text + '\n');
        return 0;
      }
      case 'version':
      case '--version':
      case '-V':
        if (rest.length) throw new UsageError('version: takes no arguments');
        out(`ptvec ${toolVersion()}\n`);
        return 0;
      default:
        throw new UsageError(
          cmd === undefined
            ? 'expected a command'
            : `unknown command "${cmd}" (the commands are: ${Object.keys(COMMANDS).join(', ')})`,
        );
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`ptvec: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
}
