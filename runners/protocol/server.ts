// `ptvec serve`: the reference engine behind the protocol (docs/protocol.md), on stdin/stdout.
// It answers in order; what it cannot parse gets an `error` answer when it has an id, and a line
// on stderr otherwise. It says hello before it loads the engine, which loads while the runner
// reads the hello and sends the first vectors.

import type { Readable, Writable } from 'node:stream';
import type { Json, StepInput, VectorObservation } from '../adapter.ts';
import { REFERENCE_CHOICES } from '../adapters/reference-choices.ts';
import { archDescriptions } from '../arch.ts';
import { toolVersion } from '../paths.ts';
import { tierUp } from '../tier-up.ts';
import { configDefaults, resolveConfig } from '../vectors/config.ts';
import type { Config } from '../vectors/generated/vector-file.ts';
import { schemaProblems, familyNames, validator, type ValidatorRef } from '../vectors/schemas.ts';
import { PROTOCOL_VERSIONS, type ImplementationHello, type Target } from './messages.ts';
import { cpuFeatureDefaults } from './negotiate.ts';

export function referenceHello(): ImplementationHello {
  const byArch = new Map<string, string[]>();
  for (const d of archDescriptions().values())
    byArch.set(d.arch, [...(byArch.get(d.arch) ?? []), d.mode]);
  return {
    type: 'hello',
    protocol: PROTOCOL_VERSIONS[0],
    implementation: { name: 'ptvec-serve', version: `ptvec ${toolVersion()} reference engine` },
    supports: [...byArch].map(([arch, modes]) => ({
      arch: arch as Target['arch'],
      modes: modes as Target['modes'],
      families: familyNames() as Target['families'],
      config: Object.keys(configDefaults()),
      features: [...cpuFeatureDefaults().keys()],
    })),
    choices: REFERENCE_CHOICES,
  };
}

interface VectorMsg {
  type: 'vector';
  id: string;
  family: string;
  arch: string;
  mode: string;
  config?: Config;
  setup?: Json;
  steps: StepInput[];
}

/** What is wrong with a vector message: the envelope, then each step as the vector schema has it. */
function messageProblem(m: unknown): string | undefined {
  const checks: [ValidatorRef, unknown, string][] = [
    ['protocol.schema.json#/definitions/VectorMessage', m, ''],
    ...((m as { steps?: unknown[] }).steps ?? []).map((s, i): [ValidatorRef, unknown, string] => [
      'vector-file.schema.json#/definitions/Step',
      s,
      `/steps/${i}`,
    ]),
  ];
  for (const [schema, data, at] of checks) {
    const validate = validator(schema);
    if (!validate(data)) {
      const p = schemaProblems(validate)[0];
      const where = `${at}${p?.pointer ?? ''}` || '/';
      return `invalid vector message at ${where}: ${p?.message ?? 'does not match the schema'}`;
    }
  }
  return undefined;
}

type Observe = (v: VectorMsg & { config: Required<Config> }) => VectorObservation;

/** The answer line to one input line, or a diagnostic for stderr; `bye` ends the session; `engine`
 * says that a vector waits for the engine to load. */
function answer(
  line: string,
  observe: Observe | undefined,
): { out?: string; err?: string; bye?: true; engine?: true } {
  let m: unknown;
  try {
    m = JSON.parse(line);
  } catch {
    return { err: `ptvec serve: ignored a line that is not JSON: ${line.slice(0, 200)}` };
  }
  const type = (m as { type?: unknown }).type;
  const id = (m as { id?: unknown }).id;
  if (type === 'bye') return { bye: true };
  if (type === 'hello') {
    const offered = (m as { protocols?: unknown }).protocols;
    if (!Array.isArray(offered) || !offered.includes(PROTOCOL_VERSIONS[0]))
      return { err: `ptvec serve: the runner does not offer protocol ${PROTOCOL_VERSIONS[0]}` };
    return { out: JSON.stringify(referenceHello()) };
  }
  if (type !== 'vector') return { err: `ptvec serve: ignored a message of type ${String(type)}` };
  if (observe === undefined) return { engine: true };
  // A partial config is allowed here (docs/protocol.md): defaults are filled in before checking.
  const v = m as VectorMsg;
  const full = { ...v, config: resolveConfig(v.config) };
  const reason = messageProblem(full);
  if (reason !== undefined)
    return typeof id === 'string'
      ? { out: JSON.stringify({ type: 'error', id, reason }) }
      : { err: `ptvec serve: ${reason}` };
  let o: VectorObservation;
  tierUp();
  try {
    o = observe(full);
  } catch (e) {
    return {
      out: JSON.stringify({
        type: 'error',
        id: v.id,
        reason: `internal error: ${(e as Error).message}`,
      }),
    };
  }
  if (o.kind === 'error')
    return { out: JSON.stringify({ type: 'error', id: v.id, reason: o.reason }) };
  const steps = o.steps.map((s) =>
    s.kind === 'result' ? { result: s.result } : { unsupported: s.reason },
  );
  return { out: JSON.stringify({ type: 'result', id: v.id, steps }) };
}

export function serve(input: Readable, output: Writable, log: Writable): Promise<number> {
  let observe: Observe | undefined;
  let engine: Promise<void> | undefined;
  const load = () =>
    (engine ??= import('../adapters/reference.ts').then((m) => {
      observe = m.observe;
    }));
  return new Promise((resolve) => {
    let rest = '';
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      input.pause();
      output.write('', () => resolve(0));
    };
    /** Answers the lines in order; at a vector before the engine has loaded, waits for it. */
    const answerAll = async (lines: readonly string[]): Promise<void> => {
      const out: string[] = [];
      let sent = false;
      for (const line of lines) {
        if (finished) return;
        if (line.trim() === '') continue;
        let a = answer(line, observe);
        if (a.engine) {
          if (out.length) output.write(out.join('\n') + '\n');
          out.length = 0;
          input.pause();
          await load();
          input.resume();
          a = answer(line, observe);
        }
        // The first answer of a chunk goes at once (the runner judges it while the rest are worked
        // out); the others go together.
        if (a.out !== undefined && !sent) {
          output.write(a.out + '\n');
          sent = true;
        } else if (a.out !== undefined) out.push(a.out);
        if (a.err !== undefined) log.write(a.err + '\n');
        if (a.bye) {
          if (out.length) output.write(out.join('\n') + '\n');
          return finish();
        }
      }
      if (out.length) output.write(out.join('\n') + '\n');
      // After the hello, the engine loads while the runner prepares the first vectors.
      void load();
    };
    let queue = Promise.resolve();
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      queue = queue.then(() => answerAll(lines));
    });
    input.on('end', () => {
      queue = queue.then(async () => {
        await answerAll([rest]);
        finish();
      });
    });
  });
}
