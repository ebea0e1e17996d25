// The protocol's messages (docs/protocol.md, schemas/protocol.schema.json): building the runner's
// and checking the implementation's.

import type { VectorInput } from '../adapter.ts';
import type {
  ErrorMessage,
  ImplementationHello,
  ImplementationMessage1,
  ResultMessage,
  RunnerHello,
} from '../vectors/generated/protocol.ts';
import { nestingDepth } from '../json-depth.ts';
import { shorten } from '../vectors/quote.ts';
import { schemaProblems, validator } from '../vectors/schemas.ts';

export type { ImplementationHello, Target } from '../vectors/generated/protocol.ts';

export const PROTOCOL_VERSIONS: readonly [number, ...number[]] = [1];
export { MAX_LINE } from './process.ts';
/** Vectors unanswered at a time, unless the implementation asks for fewer. */
export const DEFAULT_WINDOW = 64;
/** The deepest nesting of arrays and objects in a line, the line's own object being level 1: the
 * report's writers and the comparer recurse over answers. */
export const MAX_ANSWER_DEPTH = 64;
/** The longest answer kept, in bytes of line text; a longer one is an `error` for its vector. */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

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

/** What a line from an implementation is. An answer over a bound is `refused`: an `error` for
 * its vector, not a protocol failure. */
export type LineOutcome =
  | { readonly kind: 'hello'; readonly message: ImplementationHello }
  | { readonly kind: 'answer'; readonly message: ResultMessage | ErrorMessage }
  | { readonly kind: 'refused'; readonly id: string; readonly reason: string }
  | { readonly kind: 'garbage'; readonly reason: string };

/** The string members of the top-level object of JSON text, read in one pass that builds
 * nothing deeper: enough to name the vector of an answer that is not kept. */
function topLevelStrings(text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!text.trimStart().startsWith('{')) return out;
  let depth = 0;
  let key: string | undefined;
  let isValue = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const from = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++)
        if (text.charCodeAt(i) === 0x5c) i++;
      if (depth !== 1) continue;
      let s: string;
      try {
        s = JSON.parse(text.slice(from, i + 1)) as string;
      } catch {
        return out;
      }
      if (isValue && key !== undefined) out.set(key, s);
      else key = s;
      isValue = false;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      isValue = false;
    } else if (c === 0x5d || c === 0x7d) depth--;
    else if (depth === 1 && c === 0x3a) isValue = true;
    else if (depth === 1 && c === 0x2c) key = undefined;
  }
  return out;
}

/** The id of a `result` or `error` message, from its top-level strings. */
function answerId(members: ReadonlyMap<string, string>): string | undefined {
  const type = members.get('type');
  return type === 'result' || type === 'error' ? members.get('id') : undefined;
}

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

/** One line from an implementation (`bytes` long, newline excluded) as a message, an answer over
 * a bound, or why it is neither ("garbage on stdout"). */
export function parseImplementationLine(
  line: string,
  bytes = Buffer.byteLength(line),
): LineOutcome {
  const quoted = () => JSON.stringify(shorten(line));
  const depth = nestingDepth(line);
  if (depth > MAX_ANSWER_DEPTH || bytes > MAX_ANSWER_BYTES) {
    // Not parsed: JSON.parse would build all of it (seconds and hundreds of MB for 8 MiB of "[").
    const bound =
      depth > MAX_ANSWER_DEPTH
        ? `nested ${depth} levels deep; at most ${MAX_ANSWER_DEPTH} are kept`
        : `${bytes} bytes; at most ${MAX_ANSWER_BYTES} are kept`;
    const id = answerId(topLevelStrings(line));
    if (id !== undefined) return { kind: 'refused', id, reason: `the answer is ${bound}` };
    if (depth > MAX_ANSWER_DEPTH)
      return { kind: 'garbage', reason: `garbage on stdout: ${quoted()} is ${bound}` };
  }
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch (e) {
    return {
      kind: 'garbage',
      reason: `garbage on stdout: ${quoted()} is not JSON (${(e as Error).message})`,
    };
  }
  // Only a number with an exponent of three digits or 309 digits can read as Infinity: the rare
  // line that has one (or a hex string that looks so) is walked.
  const beyond = MAYBE_INFINITE.test(line) ? beyondDouble(data) : undefined;
  if (beyond !== undefined) return beyond;
  if (isPlainResult(data)) return { kind: 'answer', message: data };
  const validate = validator('protocol.schema.json#/definitions/ImplementationMessage');
  if (!validate(data)) {
    const first = schemaProblems(validate)[0];
    return {
      kind: 'garbage',
      reason: `garbage on stdout: ${quoted()} is not a protocol message${first ? ` (at ${first.pointer || '/'}: ${first.message})` : ''}`,
    };
  }
  const m = data as ImplementationMessage1;
  return m.type === 'hello' ? { kind: 'hello', message: m } : { kind: 'answer', message: m };
}

const MAYBE_INFINITE = /[eE]\+?\d{3}|\d{309}/;

/** Whether a parsed JSON value holds a number JSON.parse read as ±Infinity (1e309 and beyond). */
function holdsInfinity(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return v.some(holdsInfinity);
  for (const k in v) if (holdsInfinity((v as Record<string, unknown>)[k])) return true;
  return false;
}

/**
 * An answer holding a number beyond a double's range, refused for its vector: judged, it would fail
 * against any expectation, and its report would show the number as null (JSON has no Infinity).
 */
function beyondDouble(data: unknown): LineOutcome | undefined {
  if (typeof data !== 'object' || data === null || !holdsInfinity(data)) return undefined;
  const m = data as Record<string, unknown>;
  const id = m.type === 'result' || m.type === 'error' ? m.id : undefined;
  const reason =
    "the answer holds a number beyond a double's range (JSON.parse reads it as Infinity)";
  return typeof id === 'string'
    ? { kind: 'refused', id, reason }
    : { kind: 'garbage', reason: `garbage on stdout: ${reason}` };
}

/** Why an implementation's hello cannot be used, or undefined. */
export function helloProblem(m: ImplementationHello): string | undefined {
  if (!PROTOCOL_VERSIONS.includes(m.protocol))
    return `the implementation chose protocol ${m.protocol}; this runner speaks ${PROTOCOL_VERSIONS.join(', ')}`;
  return undefined;
}
