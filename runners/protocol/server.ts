// `ptvec serve`: the reference engine behind the protocol (docs/protocol.md), on stdin/stdout.
// It answers in order; what it cannot parse gets an `error` answer when it has an id, and a line
// on stderr otherwise.

import type { Readable, Writable } from 'node:stream';
import type { Json, StepInput, VectorObservation } from '../adapter.ts';
import { observe, REFERENCE_CHOICES } from '../adapters/reference.ts';
import { archDescriptions } from '../arch.ts';
import { toolVersion } from '../paths.ts';
import { configDefaults, resolveConfig } from '../vectors/config.ts';
import type { Config } from '../vectors/generated/vector-file.ts';
import { explain, familyNames, validator, type ValidatorRef } from '../vectors/schemas.ts';
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
      const p = explain(validate.errors ?? [])[0];
      return `invalid vector message at ${at}${p?.pointer ?? ''}: ${p?.message ?? 'does not match the schema'}`;
    }
  }
  return undefined;
}

/** The answer line to one input line, or a diagnostic for stderr; `bye` ends the session. */
function answer(line: string): { out?: string; err?: string; bye?: true } {
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
  // A partial config is allowed here (docs/protocol.md): defaults are filled in before checking.
  const v = m as VectorMsg;
  const full = { ...v, config: resolveConfig(v.config) };
  const reason = messageProblem(full);
  if (reason !== undefined)
    return typeof id === 'string'
      ? { out: JSON.stringify({ type: 'error', id, reason }) }
      : { err: `ptvec serve: ${reason}` };
  let o: VectorObservation;
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
  return new Promise((resolve) => {
    let rest = '';
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      input.pause();
      output.write('', () => resolve(0));
    };
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      if (finished) return;
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      const out: string[] = [];
      let bye = false;
      let sent = false;
      for (const line of lines) {
        if (line.trim() === '') continue;
        const a = answer(line);
        // The first answer of a chunk goes at once (the runner judges it while the rest are worked
        // out); the others go together.
        if (a.out !== undefined && !sent) {
          output.write(a.out + '\n');
          sent = true;
        } else if (a.out !== undefined) out.push(a.out);
        if (a.err !== undefined) log.write(a.err + '\n');
        if ((bye = a.bye === true)) break;
      }
      if (out.length) output.write(out.join('\n') + '\n');
      if (bye) finish();
    });
    input.on('end', () => {
      if (rest.trim() !== '') {
        const a = answer(rest);
        if (a.out !== undefined) output.write(a.out + '\n');
        if (a.err !== undefined) log.write(a.err + '\n');
      }
      finish();
    });
  });
}
