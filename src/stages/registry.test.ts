import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SERVICE_DEFINITIONS, STAGE_DEFINITIONS } from './registry.js';

describe('stage registry', () => {
  for (const entry of STAGE_DEFINITIONS) {
    it(`${entry.name}: the entry declares the schemas its definition has`, async () => {
      const definition = await entry.load();
      assert.equal(definition.name, entry.name);
      assert.equal(definition.global?.key, entry.global?.key);
      assert.equal(definition.global?.schema, entry.global?.schema);
      assert.equal(definition.route?.key, entry.route?.key);
      assert.equal(definition.route?.schema, entry.route?.schema);
    });
  }

  for (const entry of SERVICE_DEFINITIONS) {
    it(`service ${entry.name}: the entry declares the schema its definition has`, async () => {
      const definition = await entry.load();
      assert.equal(definition.name, entry.name);
      assert.equal(definition.global.key, entry.global.key);
      assert.equal(definition.global.schema, entry.global.schema);
    });
  }

  it('no section schema has a top-level default (config validation compiles only the sections present)', () => {
    const sections = [
      ...STAGE_DEFINITIONS.flatMap((entry) => [entry.global, entry.route]),
      ...SERVICE_DEFINITIONS.map((entry) => entry.global),
    ];
    for (const section of sections) {
      if (section) assert.ok(!('default' in section.schema), `${section.key} has a default`);
    }
  });

  it('names are unique', () => {
    const names = STAGE_DEFINITIONS.map((entry) => entry.name);
    assert.equal(new Set(names).size, names.length);
  });
});
