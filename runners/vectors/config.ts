// Config defaults come from the schema (common.schema.json Config), the one place they are written.

import type { Config } from './generated/vector-file.ts';
import { loadSchema } from './schemas.ts';

export type ResolvedConfig = Required<Config>;

interface ConfigSchema {
  definitions: { Config: { properties: Record<string, { default: boolean | string }> } };
}

let defaults: ResolvedConfig | undefined;

export function configDefaults(): ResolvedConfig {
  if (!defaults) {
    const props = (loadSchema('common.schema.json') as unknown as ConfigSchema).definitions.Config
      .properties;
    defaults = Object.fromEntries(
      Object.entries(props).map(([k, v]) => [k, v.default]),
    ) as ResolvedConfig;
  }
  return defaults;
}

export function resolveConfig(...layers: (Config | undefined)[]): ResolvedConfig {
  return Object.assign({}, configDefaults(), ...layers) as ResolvedConfig;
}
