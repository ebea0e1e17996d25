// Which vectors an implementation's hello covers (docs/protocol.md "hello"): the rest are skipped
// with the reason and never sent.

import type { VectorInput } from '../adapter.ts';
import { configDefaults } from '../vectors/config.ts';
import { loadSchema } from '../vectors/schemas.ts';
import type { Target } from './messages.ts';

type FeatureValue = boolean | number;

let featureDefaults: ReadonlyMap<string, FeatureValue> | undefined;

/** CpuFeatures defaults, from the schema (vector-file.schema.json CpuFeatures). */
export function cpuFeatureDefaults(): ReadonlyMap<string, FeatureValue> {
  if (!featureDefaults) {
    const schema = loadSchema('vector-file.schema.json') as {
      definitions: { CpuFeatures: { properties: Record<string, { default: FeatureValue }> } };
    };
    featureDefaults = new Map(
      Object.entries(schema.definitions.CpuFeatures.properties).map(([k, p]) => [k, p.default]),
    );
  }
  return featureDefaults;
}

/** Every CPU feature value a vector sets: in its setup and in set_features steps. */
function featuresSet(v: VectorInput): [string, unknown][] {
  const out: [string, unknown][] = [];
  const cpus = (v.setup as { cpus?: { features?: Record<string, unknown> }[] } | undefined)?.cpus;
  for (const c of cpus ?? []) out.push(...Object.entries(c.features ?? {}));
  for (const s of v.steps)
    if (s.op === 'set_features')
      out.push(
        ...Object.entries((s.args as { features?: Record<string, unknown> }).features ?? {}),
      );
  return out;
}

function targetReason(t: Target, v: VectorInput): string | undefined {
  if (t.ops) {
    const op = v.steps.find((s) => !t.ops?.includes(s.op))?.op;
    if (op !== undefined) return `op ${op} is not declared`;
  }
  const defaults = configDefaults();
  for (const [k, value] of Object.entries(v.config)) {
    if (value !== defaults[k as keyof typeof defaults] && !t.config?.includes(k))
      return `config ${k}=${String(value)} is not honoured`;
  }
  const fd = cpuFeatureDefaults();
  for (const [k, value] of featuresSet(v)) {
    if (value !== fd.get(k) && !t.features?.includes(k))
      return `feature ${k}=${String(value)} is not honoured`;
  }
  return undefined;
}

/** The first target that covers the vector, or why none does. */
function covering(
  targets: readonly Target[],
  v: VectorInput,
): { target: Target } | { why: string } {
  const arch = targets.filter((t) => t.arch === v.arch);
  if (!arch.length) return { why: `not declared: ${v.arch}` };
  const mode = arch.filter((t) => t.modes.includes(v.mode as Target['modes'][number]));
  if (!mode.length) return { why: `not declared: ${v.arch} ${v.mode}` };
  const family = mode.filter((t) => t.families.includes(v.family as Target['families'][number]));
  if (!family.length) return { why: `not declared: family ${v.family} on ${v.arch} ${v.mode}` };
  let first: string | undefined;
  for (const t of family) {
    const r = targetReason(t, v);
    if (r === undefined) return { target: t };
    first ??= r;
  }
  return { why: first! };
}

/** Why no target covers the vector, or undefined when one does. */
export function notCovered(targets: readonly Target[], v: VectorInput): string | undefined {
  const c = covering(targets, v);
  return 'why' in c ? c.why : undefined;
}

/** The result members the target that covers the vector cannot observe (the hello's `unobserved`). */
export function unobservedBy(
  targets: readonly Target[],
  v: VectorInput,
): Readonly<Record<string, readonly string[]>> {
  const c = covering(targets, v);
  if (!('target' in c)) return NOTHING;
  // Made once per target: a hello may declare many ops, and every vector is judged with them.
  let byOp = unobservedOf.get(c.target);
  if (!byOp) {
    const declared = c.target.unobserved ?? {};
    byOp = Object.fromEntries(
      Object.entries(declared).flatMap(([op, ps]) => (ps ? [[op, ps]] : [])),
    );
    unobservedOf.set(c.target, byOp);
  }
  return byOp;
}
const NOTHING: Readonly<Record<string, readonly string[]>> = {};
const unobservedOf = new WeakMap<Target, Readonly<Record<string, readonly string[]>>>();
