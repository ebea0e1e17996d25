// `ptvec help [COMMAND]` and `ptvec --version`: the usage of the whole tool and of each command.

import { closest } from './vectors/quote.ts';

const selectHelp = (
  repeats: string,
) => `filters (each repeats; a vector matches if it matches any value of each filter given):
  --arch A  --mode M  --family F  --tag T  --grep REGEX

options (each once${repeats}):
  --shard I/N               the I-th of N deterministic slices (by id)
  --allow-empty             exit 0 when the selection is empty or nothing in it was judged`;
const SELECT = selectHelp(', but --reporter');

const RUN = `usage: ptvec run [PATH...] [options]

Run vectors (default: all of vectors/) against an implementation and report the verdicts.

${SELECT}
  --expect-fail FILE        JSON {id: reason}: listed failures are xfail; a listed pass fails the run
  --reporter NAME[=FILE]    pretty (default), json, junit, tap, html; repeatable; without FILE to stdout
  --impl ref                the in-process reference engine (the default)
  --impl qemu               the mmu and tlb vectors on qemu-system-{x86_64,aarch64,riscv64}, with
                            QEMU's expected failures applied (a given --expect-fail replaces them)
  --exec "CMD ARGS"         an implementation speaking the protocol (docs/protocol.md); no shell
  --timeout MS              --exec: the longest wait for an answer (default 10000); --impl qemu:
                            the longest a QEMU process may take beyond 5 ms per vector
  --max-time SECONDS        --exec, --impl qemu: stop the run after SECONDS; the vectors not run
                            are errors, and the reports are written (a first signal does the same)
  --jobs N                  --exec, --impl qemu: run N processes at a time (default 1); the
                            reference engine: N threads (at most one per core; default one for
                            each 16 MiB of vector files)

exit status: 0 all passed/skipped/xfailed; 1 a failure, xpass or error; 2 a usage error, invalid
vectors, or nothing selected or judged (unless --allow-empty); 128 + N a run ended by signal N`;

export const COMMANDS: Readonly<Record<string, { readonly line: string; readonly help: string }>> =
  {
    run: {
      line: 'run [PATH...]     run vectors against the reference engine, --exec or --impl',
      help: RUN,
    },
    list: {
      line: 'list [PATH...]    print the ids a run would select',
      help: `usage: ptvec list [PATH...] [filters]\n\nPrint the ids of the vectors a run with the same filters would select.\n\n${selectHelp('')}`,
    },
    lint: {
      line: 'lint [PATH...]    check vector files as run does: schema, ids, flags, refs, ops, work budget',
      help: `usage: ptvec lint [PATH...]\n\nCheck vector files as run does (schema, ids, flags, refs, ops, setups, the work budget),\nagainst the whole corpus, and warn of a key given twice in one object; exit 2 when any file\nhas an error.`,
    },
    decode: {
      line: 'decode VALUE      name the fields of an entry',
      help: `usage: ptvec decode VALUE --arch A [--mode M] [--level pte] [--config K=V] [--json]\n\nName the fields of a page-table entry, by the arch description of the mode.`,
    },
    encode: {
      line: 'encode F=V...     build an entry from its fields',
      help: `usage: ptvec encode F=V... --arch A [--mode M] [--level pte] --format NAME\n\nBuild an entry from named fields of one of its level's formats.`,
    },
    serve: {
      line: 'serve             the reference engine over the protocol on stdin/stdout',
      help: `usage: ptvec serve\n\nThe reference engine behind the protocol (docs/protocol.md), on stdin/stdout.`,
    },
    merge: {
      line: 'merge FILE...     join the JSON reports of shards into the report of the unsharded run',
      help: `usage: ptvec merge FILE... [--reporter NAME[=FILE]]\n\nJoin the JSON reports of the shards of one run into the report of the unsharded run.`,
    },
    help: {
      line: 'help [COMMAND]    this text, or the usage of one command',
      help: `usage: ptvec help [COMMAND]\n\nThe usage of ptvec, or of one command.`,
    },
    version: {
      line: 'version           the version (also --version)',
      help: `usage: ptvec version | ptvec --version\n\nPrint ptvec's version.`,
    },
  };

export const USAGE = `usage: ptvec <command> [options]   (ptvec help COMMAND for one command)

commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.line}`)
  .join('\n')}

${RUN.slice(RUN.indexOf('filters'))}`;

/** The command named `name` (not a member of every object, such as "constructor"). */
export const command = (name: string): (typeof COMMANDS)[string] | undefined =>
  Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;

/** Why `name` is no command, with the one it may be a typo of. */
export function unknownCommand(name: string): string {
  const names = Object.keys(COMMANDS);
  const near = closest(name, names);
  return `unknown command "${name}"${near ? ` (did you mean ${near}?)` : ''} (the commands are: ${names.join(', ')})`;
}

/** The usage of one command, or why there is none. */
export function helpFor(cmd: string): { text: string } | { unknown: string } {
  const c = command(cmd);
  return c ? { text: c.help } : { unknown: `help: ${unknownCommand(cmd)}` };
}
