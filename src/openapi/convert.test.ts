import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ConvertOptions, convertSchema } from './convert.js';

const base: ConvertOptions = {
  version: '3.0',
  direction: 'request',
  closeObjects: true,
  knownFormats: new Set(['uuid', 'email']),
};

describe('convertSchema', () => {
  test('OpenAPI 3.0 nullable and boolean exclusive bounds', () => {
    assert.deepEqual(convertSchema({ type: 'string', nullable: true, enum: ['a'] }, base), {
      type: ['string', 'null'],
      enum: ['a', null],
    });
    assert.deepEqual(
      convertSchema({ type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 5, exclusiveMaximum: false }, base),
      {
        type: 'number',
        exclusiveMinimum: 0,
        maximum: 5,
      },
    );
    const v31 = convertSchema({ type: 'number', exclusiveMinimum: 0 }, { ...base, version: '3.1' });
    assert.deepEqual(v31, { type: 'number', exclusiveMinimum: 0 });
  });

  test('readOnly leaves requests, writeOnly leaves responses, also from required', () => {
    const schema = {
      type: 'object',
      required: ['id', 'password', 'name'],
      properties: {
        id: { type: 'string', readOnly: true },
        password: { type: 'string', writeOnly: true },
        name: { type: 'string' },
      },
    };
    const request = convertSchema(schema, base) as Record<string, unknown>;
    assert.deepEqual(Object.keys(request.properties as object), ['password', 'name']);
    assert.deepEqual(request.required, ['password', 'name']);
    const response = convertSchema(schema, { ...base, direction: 'response' }) as Record<string, unknown>;
    assert.deepEqual(Object.keys(response.properties as object), ['id', 'name']);
  });

  test('objects are closed at the top of a composition, not inside its branches', () => {
    const out = convertSchema(
      {
        allOf: [
          { type: 'object', properties: { a: { type: 'string' } } },
          { properties: { b: { type: 'object', properties: {} } } },
        ],
      },
      base,
    ) as Record<string, unknown>;
    assert.equal(out.unevaluatedProperties, false);
    const [first, second] = out.allOf as Record<string, Record<string, Record<string, unknown>>>[];
    assert.equal(first!.unevaluatedProperties, undefined);
    assert.equal(second!.properties!.b!.unevaluatedProperties, false);
    assert.equal((convertSchema({ type: 'object' }, base) as Record<string, unknown>).unevaluatedProperties, undefined);
    assert.equal(
      (convertSchema({ type: 'object', properties: {}, additionalProperties: true }, base) as Record<string, unknown>)
        .unevaluatedProperties,
      undefined,
    );
    assert.equal(
      (convertSchema({ properties: { a: {} } }, { ...base, closeObjects: false }) as Record<string, unknown>)
        .unevaluatedProperties,
      undefined,
    );
  });

  test('annotations Ajv would refuse are dropped; unknown formats become annotations', () => {
    assert.deepEqual(
      convertSchema(
        { type: 'string', format: 'phone', example: 'x', 'x-internal': true, xml: {}, $id: 'urn:x', $schema: 'y' },
        base,
      ),
      { type: 'string' },
    );
    assert.deepEqual(convertSchema({ type: 'string', format: 'uuid' }, base), { type: 'string', format: 'uuid' });
  });

  test('a recursive schema object is refused, a shared one is not', () => {
    const shared = { type: 'integer' };
    assert.doesNotThrow(() => convertSchema({ properties: { a: shared, b: shared } }, base));
    const loop: Record<string, unknown> = { type: 'object' };
    loop.properties = { next: loop };
    assert.throws(() => convertSchema(loop, base), /recursive/);
  });
});
