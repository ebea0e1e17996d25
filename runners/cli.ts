// The ptvec command line (DESIGN.md "The command line"). Each command imports what it needs when
// it runs: `run --exec` starts the implementation's process before the loader and the engine are
// imported, and `serve` imports no loader.

import { availableParallelism } from 'node:os';
import type { ParseArgsConfig } from 'node:util';
import type { Implementation } from './adapter.ts';
import { command, helpFor, unknownCommand, USAGE } from './cli-help.ts';
import { asksHelp, out, parse, UsageError, watchStdout } from './cli-io.ts';
import { printProblems, reporters, writeReports } from './cli-reports.ts';
import { loadExpectFail, loadExpectFailDir } from './expect-fail.ts';
import { earlyEnd, MAX_TIME_SECONDS } from './interrupt.ts';
import { toolVersion } from './paths.ts';
import { splitCommandLine } from './protocol/command-line.ts';
import type { RunReport, Summary } from './run.ts';
import { parseShard, select, type Selection } from './select.ts';
import { closest, counted, shorten } from './vectors/quote.ts';
import type { Problem } from './vectors/files.ts';

export { optimizeLater } from './tier-up.ts';

const SELECT_OPTS = {
  arch: { type: 'string', multiple: true },
  mode: { type: 'string', multiple: true },
  family: { type: 'string', multiple: true },
  tag: { type: 'string', multiple: true },
  grep: { type: 'string', multiple: true },
  shard: { type: 'string' },
  'allow-empty': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

async function selection(v: {
  arch?: string[];
  mode?: string[];
  family?: string[];
  tag?: string[];
  grep?: string[];
  shard?: string;
}): Promise<Selection> {
  // Filter values that name nothing are usage errors, not empty selections.
  const { unknownName } = await import('./selection.ts');
  const bad = unknownName(v);
  if (bad) {
    const near = closest(bad.value, bad.known);
    throw new UsageError(
      `--${bad.filter} ${shorten(bad.value)}: expected one of ${bad.known.join(', ')}${near ? ` (did you mean ${near}?)` : ''}`,
    );
  }
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
      ? s.problems > 0
        ? 'no valid vector matches the selection (the problems are above)'
        : 'no vector matches the selection'
      : judged === 0
        ? `nothing was judged: all ${s.total} selected vectors were skipped`
        : undefined;
  if (why === undefined) return 0;
  // Invalid vectors fail the run whatever --allow-empty says: it is offered only where it would pass.
  const hint = allow || s.problems > 0 ? '' : ' (--allow-empty accepts this)';
  process.stderr.write(`ptvec: ${allow ? 'warning' : 'error'}: ${why}${hint}\n`);
  return allow ? 0 : 2;
}

const positive = (flag: string, v: string | undefined, dflt: number, max: number): number => {
  if (v === undefined) return dflt;
  if (!/^[1-9][0-9]*$/.test(v) || Number(v) > max)
    throw new UsageError(`${flag}: expected an integer from 1 to ${max}`);
  return Number(v);
};

interface Starter {
  readonly start: () => Promise<Implementation>;
  /** Kill what `start` spawned, for a run that ends before it uses it (a usage error). */
  readonly abandon?: () => void;
}

/** The implementation the options name, checked here and started by `start`. */
function implementation(values: {
  impl?: string;
  exec?: string;
  timeout?: string;
  jobs?: string;
}): Starter {
  // setTimeout fires at once for a delay past 2^31 - 1 ms; more processes than this serve nothing.
  const timeoutMs = positive('--timeout', values.timeout, 10_000, 2 ** 31 - 1);
  const jobs = positive('--jobs', values.jobs, 1, 256);
  if (values.exec === undefined) {
    if (values.impl === 'qemu')
      return {
        start: async () => {
          // Loaded only for --impl qemu: no other command pays for the QEMU adapter.
          const [{ ensureHarnesses }, { qemuImplementation }, { TARGETS }] = await Promise.all([
            import('./adapters/qemu/build.ts'),
            import('./adapters/qemu/index.ts'),
            import('./adapters/qemu/targets.ts'),
          ]);
          const failed = ensureHarnesses(Object.values(TARGETS));
          if (failed) process.stderr.write(`${failed}\n`);
          return qemuImplementation({ jobs, timeoutMs });
        },
      };
    if (values.impl !== undefined && values.impl !== 'ref')
      throw new UsageError(
        `--impl ${values.impl}: the implementations are: ref, qemu (or use --exec)`,
      );
    if (values.timeout !== undefined)
      throw new UsageError(
        '--timeout: only with --exec or --impl qemu (the reference engine runs in this process)',
      );
    return {
      start: async () => (await import('./adapters/reference.ts')).referenceImplementation(),
    };
  }
  if (values.impl !== undefined) throw new UsageError('--impl and --exec: give one of them');
  const argv = splitCommandLine(values.exec);
  if ('error' in argv) throw new UsageError(`--exec ${values.exec}: ${argv.error}`);
  let first: { kill(): Promise<void> } | undefined;
  return {
    start: async () => {
      // Spawned before the protocol's modules load (they bring the schemas' validators).
      const { ImplementationProcess } = await import('./protocol/process.ts');
      const proc = (first = new ImplementationProcess(argv));
      const { execImplementationFrom } = await import('./protocol/client.ts');
      return execImplementationFrom({ argv, timeoutMs, jobs }, proc);
    },
    abandon: () => void first?.kill(),
  };
}

/** --max-time in seconds: for an implementation that can be stopped part way (runners/interrupt.ts). */
function maxTime(values: {
  impl?: string;
  exec?: string;
  'max-time'?: string;
}): { seconds: number; given: string } | undefined {
  const v = values['max-time'];
  if (v === undefined) return undefined;
  if (!/^([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(v) || Number(v) <= 0 || Number(v) > MAX_TIME_SECONDS)
    throw new UsageError(
      `--max-time: expected seconds, more than 0 and at most ${MAX_TIME_SECONDS}`,
    );
  if (values.exec === undefined && values.impl !== 'qemu')
    throw new UsageError(
      '--max-time: only with --exec or --impl qemu (the reference engine cannot be stopped part way)',
    );
  return { seconds: Number(v), given: v };
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

async function cmdRun(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...SELECT_OPTS,
    'expect-fail': { type: 'string' },
    reporter: { type: 'string', multiple: true },
    impl: { type: 'string' },
    exec: { type: 'string' },
    timeout: { type: 'string' },
    jobs: { type: 'string' },
    'max-time': { type: 'string' },
  });
  const starter = implementation(values);
  // The reference engine runs in-process and cannot be stopped part way: a signal ends it.
  const limit = maxTime(values);
  const ending =
    values.exec !== undefined || values.impl === 'qemu'
      ? earlyEnd(limit, () => starter.abandon?.())
      : undefined;
  // The process behind --exec boots while the other options are checked and the vectors load; the
  // run hands it each file's vectors as soon as it has said hello (runners/run-stream.ts).
  const early = values.exec === undefined ? undefined : starter.start();
  let impl: Implementation | undefined;
  try {
    const sel = await selection(values);
    const reps = reporters(values.reporter, positionals);
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
      await printProblems(problems);
      return 2;
    }
    const onProgress = progressLine();
    const opts = {
      selection: sel,
      ...(expectFail ? { expectFail } : {}),
      ...(onProgress ? { onProgress } : {}),
    };
    let report: RunReport;
    if (early) {
      const { executeStreaming } = await import('./run-stream.ts');
      report = await executeStreaming(
        early.then((i) => {
          ending?.attach(i);
          return (impl = i);
        }),
        positionals,
        opts,
      );
    } else {
      impl = await starter.start();
      ending?.attach(impl);
      const { run } = await import('./run-vectors.ts');
      const { defaultThreads, executeInThreads } = await import('./threads.ts');
      // At most one thread per core: a thread is a heap of its own.
      const threads =
        values.impl === 'qemu'
          ? 1
          : values.jobs === undefined
            ? defaultThreads(positionals)
            : Math.min(positive('--jobs', values.jobs, 1, 256), availableParallelism());
      const on = impl;
      report =
        threads > 1
          ? await executeInThreads(positionals, opts, threads).catch((e: unknown) => {
              // A thread's failure is ptvec's bug; the run still gets its report, on one thread.
              process.stderr.write(
                `ptvec: a run thread failed (${e instanceof Error ? e.message : String(e)}); running on one thread\n`,
              );
              return run(on, { ...opts, vectors: positionals });
            })
          : await run(impl, { ...opts, vectors: positionals });
    }
    const stopped = ending?.reason;
    if (stopped !== undefined) report = { ...report, stopped };
    const wrote = await writeReports(reps, report);
    const { exitCode } = await import('./run.ts');
    return (
      ending?.status ??
      Math.max(exitCode(report), emptiness(report.summary, values['allow-empty']), wrote ? 0 : 2)
    );
  } finally {
    ending?.dispose();
    // Not waiting for the hello of a process the run never used.
    if (impl === undefined) starter.abandon?.();
    await (impl ?? (await early?.catch(() => undefined)))?.close();
  }
}

async function cmdMerge(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    reporter: { type: 'string', multiple: true },
  });
  const reps = reporters(values.reporter);
  if (!positionals.length) throw new UsageError('expected the JSON reports of the shards');
  const [{ mergeReports }, { exitCode }] = await Promise.all([
    import('./merge.ts'),
    import('./run.ts'),
  ]);
  const m = mergeReports(positionals);
  if (!m.report) {
    await printProblems(m.problems);
    return 2;
  }
  const wrote = await writeReports(reps, m.report);
  return wrote ? exitCode(m.report) : 2;
}

async function cmdServe(argv: string[]): Promise<number> {
  parse(argv, {});
  const { serve } = await import('./protocol/server.ts');
  return serve(process.stdin, process.stdout, process.stderr);
}

async function cmdList(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, SELECT_OPTS);
  const sel = await selection(values);
  const [{ loadVectors }, { summarize }] = await Promise.all([
    import('./load.ts'),
    import('./run.ts'),
  ]);
  const loaded = loadVectors(positionals);
  const chosen = select(sel, loaded.vectors);
  out(chosen.map((v) => `${v.id}\n`).join(''));
  await printProblems(loaded.problems);
  const invalid = loaded.problems.some((p) => p.severity !== 'warning') ? 2 : 0;
  const empty = chosen.length ? 0 : emptiness(summarize([], 0), values['allow-empty']);
  return Math.max(invalid, empty);
}

async function cmdLint(argv: string[]): Promise<number> {
  const { positionals } = parse(argv, {});
  const { lint } = await import('./lint.ts');
  const r = lint(positionals);
  await printProblems(r.problems);
  const errors = r.problems.filter((p) => p.severity !== 'warning').length;
  process.stderr.write(
    `${counted(r.files, 'file')}, ${counted(r.vectors, 'vector')}, ${counted(errors, 'error')}, ${counted(r.problems.length - errors, 'warning')}\n`,
  );
  return errors ? 2 : 0;
}

export async function main(argv: string[]): Promise<number> {
  watchStdout();
  const [cmd, ...rest] = argv;
  // A command's own usage: `ptvec run --help` as `ptvec help run`, and after its usage errors.
  const own = cmd !== undefined && cmd !== 'help' && cmd !== 'version' ? command(cmd) : undefined;
  if (own && asksHelp(rest)) {
    out(own.help + '\n');
    return 0;
  }
  try {
    switch (cmd) {
      case 'run':
        return await cmdRun(rest);
      case 'list':
        return await cmdList(rest);
      case 'lint':
        return await cmdLint(rest);
      case 'decode':
        return (await import('./cli-entries.ts')).cmdDecode(rest);
      case 'encode':
        return (await import('./cli-entries.ts')).cmdEncode(rest);
      case 'serve':
        return await cmdServe(rest);
      case 'merge':
        return await cmdMerge(rest);
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
        throw new UsageError(cmd === undefined ? 'expected a command' : unknownCommand(cmd));
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(
        own ? `ptvec ${cmd}: ${e.message}\n\n${own.help}\n` : `ptvec: ${e.message}\n\n${USAGE}\n`,
      );
      return 2;
    }
    throw e;
  }
}
