// ajv in strict mode over schemas/, and ajv errors turned into "what was expected" messages.
// The validators are precompiled (scripts/gen-validators.ts): a run loads no schema compiler.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorObject } from 'ajv';
import { SCHEMAS_DIR } from '../paths.ts';
import {
  MAX_SCHEMA_ERRORS,
  TooManyErrors,
  VALIDATORS,
  type ValidatorRef,
} from './generated/validators.js';
import { closest, quote } from './quote.ts';

export type { ValidatorRef };

/**
 * A validator: false, with `errors`, when the data does not match its schema. It gives up (`stopped`)
 * after MAX_SCHEMA_ERRORS errors, so that no input makes it slow or large: its errors are then the
 * first ones, and the data after them was not checked. It also gives up on data nested deeper than
 * its recursion can go (the schema's expectations nest, through `either` and `byChoice`).
 */
export interface Validate {
  (data: unknown): boolean;
  readonly errors: readonly ErrorObject[];
  readonly stopped: false | 'errors' | 'depth';
}

export interface SchemaProblem {
  readonly pointer: string;
  readonly message: string;
}

export function loadSchema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SCHEMAS_DIR, file), 'utf8')) as Record<string, unknown>;
}

/** The op families, in the schema's order (vector-file.schema.json `family`). */
let families: readonly string[] | undefined;
export function familyNames(): readonly string[] {
  families ??= (
    loadSchema('vector-file.schema.json') as {
      properties: { family: { enum: readonly string[] } };
    }
  ).properties.family.enum;
  return families;
}

const validators = new Map<ValidatorRef, Validate>();

/**
 * The validator of a schema ref, compiled by ajv (strict, allErrors, discriminator, verbose) ahead
 * of time; a new ref goes into scripts/gen-validators.ts VALIDATOR_REFS.
 */
export function validator(ref: ValidatorRef): Validate {
  let v = validators.get(ref);
  if (v) return v;
  const compiled = VALIDATORS[ref];
  const state: { errors: readonly ErrorObject[]; stopped: Validate['stopped'] } = {
    errors: [],
    stopped: false,
  };
  const check = (data: unknown): boolean => {
    try {
      const ok = compiled(data);
      state.errors = compiled.errors ?? [];
      state.stopped = false;
      return ok;
    } catch (e) {
      if (e instanceof TooManyErrors) {
        state.errors = e.errors;
        state.stopped = 'errors';
      } else if (e instanceof RangeError && /call stack/.test(e.message)) {
        // Data JSON.parse took, nested deeper than the validators' recursion can go.
        state.errors = [];
        state.stopped = 'depth';
      } else throw e;
      return false;
    }
  };
  v = Object.defineProperties(check, {
    errors: { get: () => state.errors },
    stopped: { get: () => state.stopped },
  }) as Validate;
  validators.set(ref, v);
  return v;
}

const HINTS: Readonly<Record<string, string>> = {
  '^0x[0-9a-f]{16}$': 'lowercase fixed-width hex: 0x and 16 digits, e.g. 0x0000000000000067',
  '^0x[0-9a-f]{1,16}$': 'lowercase hex: 0x and 1 to 16 digits',
  '^[a-z0-9_]+(?:[./-][a-z0-9_]+)*$':
    'an id of lowercase letters, digits and _, in parts joined by /, . or -, e.g. x86_64/pte/example/wrprotect-dirty',
};

/** common.schema.json Ref's pattern, `^(key|key...) \S.*$`, said as its keys. */
function refHint(pattern: string): string | undefined {
  const keys = /^\^\(([\w|\\.-]+)\) \\S\.\*\$$/.exec(pattern)?.[1];
  if (keys === undefined) return undefined;
  const list = keys.replace(/\\\./g, '.').split('|').join(', ');
  return `a source, a space, then where in it, e.g. "linux-v6.19 mm/memory.c:3868 finish_mkwrite_fault"; the sources: ${list}`;
}

let ops: readonly string[] | undefined;
/** The ops of the vector format: each step definition's `op` (const or enum), read on first need. */
function stepOps(): readonly string[] {
  if (ops) return ops;
  type Def = { properties?: { op?: { const?: string; enum?: string[] } } };
  const schema = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'vector-file.schema.json'), 'utf8')) as {
    definitions: Record<string, Def>;
  };
  ops = Object.values(schema.definitions).flatMap((d) => {
    const op = d.properties?.op;
    return op?.const !== undefined ? [op.const] : (op?.enum ?? []);
  });
  return ops;
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type':
      return `expected ${String(p.type)}`;
    case 'required':
      return `missing required property "${String(p.missingProperty)}"`;
    case 'additionalProperties':
      return `unexpected property ${quote(p.additionalProperty)}`;
    case 'enum':
      return `expected one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `expected ${JSON.stringify(p.allowedValue)}`;
    case 'pattern': {
      const pat = String(p.pattern);
      return `expected ${HINTS[pat] ?? refHint(pat) ?? `a string matching ${pat}`}`;
    }
    case 'discriminator': {
      if (p.error !== 'mapping') return `expected an "op" string`;
      const near = typeof p.tagValue === 'string' ? closest(p.tagValue, stepOps()) : undefined;
      return `unknown op ${quote(p.tagValue)}: ${near ? `did you mean "${near}"? It is ` : ''}not an op of the vector format (see schemas/vector-file.schema.json definitions/*Step)`;
    }
    case 'minItems':
      return `expected at least ${String(p.limit)} item(s)`;
    case 'maxItems':
      return `expected at most ${String(p.limit)} item(s)`;
    case 'minProperties':
    case 'maxProperties':
      return 'expected exactly one of "result", "either", "byChoice"';
    case 'minimum':
    case 'maximum':
      // Past 2^53 - 1, JSON.parse has already rounded the number: the file says another one.
      if (Math.abs(p.limit as number) === Number.MAX_SAFE_INTEGER)
        return `expected an integer JSON reads exactly: from -(2^53 - 1) to 2^53 - 1 (${Number.MAX_SAFE_INTEGER})`;
      return `expected a number ${e.keyword === 'minimum' ? '>=' : '<='} ${String(p.limit)}`;
    case 'uniqueItems':
      return 'expected unique items';
    case 'oneOf':
      return 'expected exactly one of the allowed forms';
    default:
      return e.message ?? e.keyword;
  }
}

const ONE_OF_FORMS: Readonly<Record<string, string>> = {
  U64Arg:
    'expected a Hex64 string (0x and 16 lowercase hex digits) or {"step": "<name of an earlier step>"}',
  FieldValue: 'expected an integer (fields of 32 bits or fewer) or lowercase hex (wider fields)',
};

/**
 * One message per offending value. When a oneOf fails, the errors of its branches are noise; for a
 * 64-bit argument they are replaced by the two forms it accepts.
 */
const titled = (e: ErrorObject) => (e.parentSchema as { title?: string } | undefined)?.title ?? '';

/**
 * A oneOf over forms that are definitions (X86Report | Arm64Report | Riscv64Report): when exactly one
 * form has the fewest errors at the value itself (their missing and unexpected properties), the
 * value is meant as that form, and the other forms' errors there are noise. A tie shows them all.
 */
function withoutOtherForms(errors: readonly ErrorObject[]): readonly ErrorObject[] {
  const drop = new Set<ErrorObject>();
  for (const o of errors) {
    if (o.keyword !== 'oneOf' || !Array.isArray(o.schema)) continue;
    const forms = (o.schema as { $ref?: unknown }[]).map((b) =>
      typeof b.$ref === 'string' ? b.$ref.split('/').pop() : undefined,
    );
    if (forms.some((f) => f === undefined)) continue;
    const at = errors.filter(
      (e) => e !== o && e.instancePath === o.instancePath && forms.includes(titled(e)),
    );
    const counts = forms.map((f) => at.filter((e) => titled(e) === f).length);
    const fewest = Math.min(...counts);
    if (counts.filter((c) => c === fewest).length !== 1) continue;
    const meant = forms[counts.indexOf(fewest)];
    for (const e of at) if (titled(e) !== meant) drop.add(e);
  }
  return drop.size ? errors.filter((e) => !drop.has(e)) : errors;
}

function explain(all: readonly ErrorObject[]): SchemaProblem[] {
  const errors = withoutOtherForms(all);
  // A oneOf over known forms replaces every error at or below its value with one message.
  const known = errors.filter(
    (e) => e.keyword === 'oneOf' && ONE_OF_FORMS[titled(e)] !== undefined,
  );
  const under = (e: ErrorObject, o: ErrorObject) =>
    e.instancePath === o.instancePath || e.instancePath.startsWith(o.instancePath + '/');
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const owner = known.find((o) => under(e, o));
    if (owner && owner !== e) continue;
    if (e.keyword === 'oneOf' && !owner) continue; // the branch errors say more than "one of"
    const message = owner ? (ONE_OF_FORMS[titled(e)] ?? describe(e)) : describe(e);
    const key = `${e.instancePath}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ pointer: e.instancePath, message });
  }
  return out;
}

/** What a validator found, one message per offending value; the last says so if it gave up. */
export function schemaProblems(v: Validate): SchemaProblem[] {
  const found = explain(v.stopped ? v.errors.slice(0, MAX_SCHEMA_ERRORS) : v.errors);
  if (v.stopped === 'errors')
    found.push({
      pointer: '',
      message: `more than ${MAX_SCHEMA_ERRORS} schema errors: the check stopped after the first ${MAX_SCHEMA_ERRORS}, and nothing after them was checked`,
    });
  else if (v.stopped === 'depth')
    found.push({ pointer: '', message: 'nested too deeply to be checked against the schema' });
  return found;
}
