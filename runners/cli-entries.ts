// `ptvec decode` and `ptvec encode`: an entry by named fields and back, per arch, mode and level.

import type { Json } from './adapter.ts';
import { observe } from './adapters/reference.ts';
import { archDescriptions, levelOf, modesOf } from './arch.ts';
import { out, parse, UsageError } from './cli-io.ts';
import { configDefaults, resolveConfig } from './vectors/config.ts';
import type { Config } from './vectors/generated/vector-file.ts';
import type { ParseArgsConfig } from 'node:util';

const ENTRY_OPTS = {
  arch: { type: 'string' },
  mode: { type: 'string' },
  level: { type: 'string' },
  config: { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

function entryTarget(v: { arch?: string; mode?: string; level?: string; config?: string[] }) {
  if (!v.arch) throw new UsageError('--arch is required (x86_64, arm64 or riscv64)');
  const modes = modesOf(v.arch);
  if (!modes.length) throw new UsageError(`--arch ${v.arch}: expected x86_64, arm64 or riscv64`);
  const mode =
    v.mode ?? modes.find((m) => ['4level', '4k-48', 'sv39'].includes(m)) ?? modes[0] ?? '';
  if (!modes.includes(mode))
    throw new UsageError(`--mode ${mode}: ${v.arch} has the modes ${modes.join(', ')}`);
  const level = v.level ?? 'pte';
  if (!['pgd', 'p4d', 'pud', 'pmd', 'pte'].includes(level))
    throw new UsageError(`--level ${level}: expected pgd, p4d, pud, pmd or pte`);
  const cfg: Record<string, boolean> = {};
  const defaults = configDefaults();
  for (const c of v.config ?? []) {
    const m = /^([A-Za-z0-9_]+)=(true|false|y|n|1|0)$/.exec(c);
    if (!m?.[1] || !Object.hasOwn(defaults, m[1]))
      throw new UsageError(
        `--config ${c}: expected KEY=true|false with KEY one of ${Object.keys(defaults).join(', ')}`,
      );
    cfg[m[1]] = ['true', 'y', '1'].includes(m[2] ?? '');
  }
  return { arch: v.arch, mode, level, config: resolveConfig(cfg as Config) };
}

function runOne(t: ReturnType<typeof entryTarget>, op: string, args: Record<string, Json>): Json {
  const o = observe({
    id: 'cli',
    family: 'layout',
    arch: t.arch,
    mode: t.mode,
    config: t.config,
    steps: [{ op, args: args as never }],
  });
  if (o.kind === 'error') throw new UsageError(o.reason.replace(/^invalid vector at \S+: /, ''));
  const s = o.steps[0];
  if (!s || s.kind === 'unsupported') throw new UsageError(s?.reason ?? 'no result');
  return s.result;
}

export function cmdDecode(argv: string[]): number {
  const { values, positionals } = parse(argv, { ...ENTRY_OPTS, json: { type: 'boolean' } });
  const t = entryTarget(values);
  const raw = positionals[0];
  if (positionals.length !== 1 || raw === undefined || !/^(0x)?[0-9a-fA-F]{1,16}$/.test(raw))
    throw new UsageError('expected one hex VALUE, e.g. 0x8000000000000027');
  const value =
    '0x' +
    BigInt(raw.startsWith('0x') ? raw : `0x${raw}`)
      .toString(16)
      .padStart(16, '0');
  const r = runOne(t, 'decode', { level: t.level, value }) as {
    format: string;
    fields: Record<string, number | string>;
  };
  if (values.json) {
    out(
      JSON.stringify({ arch: t.arch, mode: t.mode, level: t.level, value, ...r }, null, 2) + '\n',
    );
    return 0;
  }
  // The level's own format: formats of one name differ by level (a protnone PTE's PFN is 51:12, a
  // PUD's 51:30).
  const d = archDescriptions().get(`${t.arch}-${t.mode}`);
  const fmt = (d && levelOf(d, t.level))?.formats.find((f) => f.name === r.format);
  out(`${t.arch} ${t.mode} ${t.level} ${value}: ${r.format}\n`);
  for (const [name, v] of Object.entries(r.fields)) {
    const f = fmt?.fields.find((x) => x.name === name);
    const bits = f
      ? f.bits[0] === f.bits[1]
        ? `bit ${f.bits[0]}`
        : `bits ${f.bits[0]}:${f.bits[1]}`
      : '';
    const shownV =
      typeof v === 'number' && f && f.bits[0] - f.bits[1] >= 4 ? `0x${v.toString(16)}` : String(v);
    out(`  ${bits.padEnd(11)} ${name.padEnd(16)} ${shownV}${f?.linux ? `  (${f.linux})` : ''}\n`);
  }
  return 0;
}

export function cmdEncode(argv: string[]): number {
  const { values, positionals } = parse(argv, { ...ENTRY_OPTS, format: { type: 'string' } });
  const t = entryTarget(values);
  if (!values.format)
    throw new UsageError('--format is required (e.g. present, leaf, table, swap)');
  const fields: Record<string, Json> = {};
  for (const p of positionals) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)=(0x[0-9a-fA-F]+|[0-9]+)$/.exec(p);
    if (!m?.[1] || m[2] === undefined)
      throw new UsageError(`${p}: expected FIELD=VALUE (decimal or 0x hex)`);
    if (Object.hasOwn(fields, m[1])) throw new UsageError(`${p}: the field ${m[1]} is given twice`);
    const n = BigInt(m[2].startsWith('0x') ? m[2].toLowerCase() : m[2]);
    fields[m[1]] = n <= 0xffffffffn ? Number(n) : '0x' + n.toString(16);
  }
  const r = runOne(t, 'encode', { level: t.level, format: values.format, fields });
  out(`${String(r)}\n`);
  return 0;
}
