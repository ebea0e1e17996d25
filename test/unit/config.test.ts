import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../src/config.ts';
import { configDefaults } from '../../runners/vectors/config.ts';
import { loadSchema } from '../../runners/vectors/schemas.ts';

describe('config', () => {
  it('the engine knows exactly the config keys the schema defines', () => {
    const schema = loadSchema('common.schema.json') as {
      definitions: { Config: { properties: object } };
    };
    expect([...CONFIG_KEYS].sort()).toEqual(
      Object.keys(schema.definitions.Config.properties).sort(),
    );
  });
  it('every key has a boolean default, but the semantics variant (Linux v6.19 by default)', () => {
    const { variant, ...rest } = configDefaults();
    expect(variant).toBe('linux-v6.19');
    for (const v of Object.values(rest)) expect(typeof v).toBe('boolean');
  });
});
