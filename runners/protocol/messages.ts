// The protocol's messages (docs/protocol.md, schemas/protocol.schema.json): building the runner's
// and checking the implementation's.

import type { VectorInput } from '../adapter.ts';
import type {
  ImplementationHello,
  ImplementationMessage1,
  ResultMessage,
  RunnerHello,
} from '../vectors/generated/protocol.ts';
import { explain, validator } from '../vectors/schemas.ts';

export type { ImplementationHello, Target } from '../vectors/generated/protocol.ts';

export const PROTOCOL_VERSIONS: readonly [number, ...number[]] = [1];
/** The longest line an implementation may write, newline excluded (docs/protocol.md "Transport"). */
export const MAX_LINE = 8 * 1024 * 1024;
/** Vectors unanswered at a time, unless the implementation asks for fewer. */
export const DEFAULT_WINDOW = 64;

export function runnerHello(version: string): RunnerHello {
  return { type: 'hello', protocols: [...PROTOCOL_VERSIONS], runner: { name: 'ptvec', version } };
}

export function vectorLine(v: VectorInput): string {
  return JSON.stringify({
    type: 'vector',
    id: v.id,
    family: v.family,
    arch: v.arch,
    mode: v.mode,
    config: v.config,
    ...(v.setup === undefined ? {} : { setup: v.setup }),
    steps: v.steps,
  });
}

export const BYE_LINE = '{"type":"bye"}';

const shorten = (s: string, n = 200) => (s.length > n ? `${s.slice(0, n)}...` : s);

export type Parsed<T> =
  { readonly ok: true; readonly message: T } | { readonly ok: false; readonly reason: string };

/** The common answer, checked without ajv (the hot path of a run); anything else goes to the schema. */
function isPlainResult(d: unknown): d is ResultMessage {
  if (typeof d !== 'object' || d === null) return false;
  const m = d as Record<string, unknown>;
  if (m.type !== 'result' || typeof m.id !== 'string' || !Array.isArray(m.steps)) return false;
  if (Object.keys(m).length !== 3) return false;
  for (const s of m.steps as unknown[]) {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) return false;
    const ks = Object.keys(s);
    if (ks.length !== 1) return false;
    if (ks[0] === 'unsupported') {
      const u = (s as { unsupported: unknown }).unsupported;
      if (typeof u !== 'string' || u === '') return false;
    } else if (ks[0] !== 'result') return false;
  }
  return true;
}

/** One line from an implementation as a message, or why it is not one ("garbage on stdout"). */
export function parseImplementationLine(line: string): Parsed<ImplementationMessage1> {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch (e) {
    return {
      ok: false,
      reason: `garbage on stdout: ${JSON.stringify(shorten(line))} is not JSON (${(e as Error).message})`,
    };
  }
  if (isPlainResult(data)) return { ok: true, message: data };
  const validate = validator('protocol.schema.json#/definitions/ImplementationMessage');
  if (!validate(data)) {
    const first = explain(validate.errors ?? [])[0];
    return {
      ok: false,
      reason: `garbage on stdout: ${JSON.stringify(shorten(line))} is not a protocol message${first ? ` (at ${first.pointer || '/'}: ${first.message})` : ''}`,
    };
  }
  return { ok: true, message: data as ImplementationMessage1 };
}

/** Why an implementation's hello cannot be used, or undefined. */
export function helloProblem(m: ImplementationMessage1): string | undefined {
  if (m.type !== 'hello') return `expected hello, got a "${m.type}" message`;
  if (!PROTOCOL_VERSIONS.includes(m.protocol))
    return `the implementation chose protocol ${m.protocol}; this runner speaks ${PROTOCOL_VERSIONS.join(', ')}`;
  return undefined;
}

export const isHello = (m: ImplementationMessage1): m is ImplementationHello => m.type === 'hello';
