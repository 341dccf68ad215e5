/**
 * OpenAPI Schema Objects to plain JSON Schema 2020-12 that Ajv compiles in strict mode.
 *
 * OpenAPI 3.1 schemas already are JSON Schema 2020-12 plus a few annotations; 3.0 schemas are a
 * dialect of draft-05 with `nullable` and boolean `exclusiveMinimum`. One conversion serves both
 * and also applies the direction of the message: OpenAPI 3.1 §4.8.24.4 says readOnly properties
 * are not sent in requests and writeOnly ones not in responses, so each is dropped from the side
 * where it must not appear (and, with closed objects, becomes an unknown property there).
 */

export type OpenApiVersion = '3.0' | '3.1';
export type Direction = 'request' | 'response';

export interface ConvertOptions {
  readonly version: OpenApiVersion;
  readonly direction: Direction;
  /** Add `unevaluatedProperties: false` to object schemas that list their properties. */
  readonly closeObjects: boolean;
  /** Formats Ajv knows; any other is an annotation only, as JSON Schema 2020-12 §7.2 allows. */
  readonly knownFormats: ReadonlySet<string>;
  /**
   * Where `#/components/schemas/...` references left by a recursive document point once the
   * components are registered in Ajv (e.g. `pc:components:1:request#/$defs`). Without it such a
   * reference is an error.
   */
  readonly componentsBase?: string;
}

const COMPONENT_REF = '#/components/schemas/';

export type JsonSchema = boolean | { [key: string]: unknown };

/** OpenAPI-only annotations and vendor extensions that Ajv's strict mode would refuse. */
// $id and $schema go too: $refs are already resolved, and one component reused by several routes
// must not register the same $id twice in Ajv.
const DROPPED = new Set(['example', 'xml', 'externalDocs', 'discriminator', 'nullable', '$id', '$schema']);

const SUBSCHEMA_MAPS = ['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions'];
const SUBSCHEMA_SINGLE = [
  'items',
  'additionalItems',
  'additionalProperties',
  'unevaluatedItems',
  'unevaluatedProperties',
  'propertyNames',
  'contains',
  'not',
  'if',
  'then',
  'else',
];
const BRANCH_LISTS = ['allOf', 'anyOf', 'oneOf'];

export function convertSchema(schema: unknown, options: ConvertOptions): JsonSchema {
  return convert(schema, options, false, new Set());
}

function convert(schema: unknown, options: ConvertOptions, isBranch: boolean, seen: Set<object>): JsonSchema {
  if (typeof schema === 'boolean') return schema;
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new TypeError('a schema must be an object or a boolean');
  }
  if (seen.has(schema)) throw new TypeError('recursive schemas are not supported');
  seen.add(schema);
  const source = schema as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (DROPPED.has(key) || key.startsWith('x-')) continue;
    if (key === '$ref') {
      // Only the back-edges of recursive schemas survive dereferencing (json-schema-ref-parser
      // with circular: 'ignore'); everything else was inlined.
      if (typeof value !== 'string' || !value.startsWith(COMPONENT_REF) || options.componentsBase === undefined) {
        throw new TypeError(`unresolved $ref ${JSON.stringify(value)}`);
      }
      out.$ref = `${options.componentsBase}/${value.slice(COMPONENT_REF.length)}`;
      continue;
    }
    if (SUBSCHEMA_MAPS.includes(key) && isPlainObject(value)) {
      const converted: Record<string, JsonSchema> = {};
      for (const [name, sub] of Object.entries(value)) {
        if (key === 'properties' && isHiddenProperty(sub, options.direction)) continue;
        converted[name] = convert(sub, options, false, seen);
      }
      out[key] = converted;
    } else if (SUBSCHEMA_SINGLE.includes(key) && (isPlainObject(value) || typeof value === 'boolean')) {
      out[key] = convert(value, options, false, seen);
    } else if ((BRANCH_LISTS.includes(key) || key === 'prefixItems') && Array.isArray(value)) {
      out[key] = value.map((sub) => convert(sub, options, BRANCH_LISTS.includes(key), seen));
    } else if (key === 'format' && typeof value === 'string' && !options.knownFormats.has(value)) {
      // An unknown format is an annotation (JSON Schema 2020-12 §7.2), not an error.
    } else {
      out[key] = value;
    }
  }
  seen.delete(schema);

  if (Array.isArray(out.required) && isPlainObject(source.properties)) {
    const props = source.properties;
    out.required = out.required.filter(
      (name) => typeof name !== 'string' || !isHiddenProperty(props[name], options.direction),
    );
  }
  if (options.version === '3.0') applyOpenApi30(source, out);
  if (
    options.closeObjects &&
    !isBranch &&
    out.additionalProperties === undefined &&
    out.unevaluatedProperties === undefined &&
    (out.properties !== undefined || BRANCH_LISTS.some((k) => out[k] !== undefined)) &&
    mayBeObject(out)
  ) {
    // unevaluatedProperties (2020-12 §11.3) sees properties evaluated by allOf/anyOf/oneOf
    // branches, so composition keeps working where additionalProperties: false would not.
    out.unevaluatedProperties = false;
  }
  return out;
}

/** OpenAPI 3.0.3 §4.7.24: `nullable` and boolean exclusive bounds (draft-05 semantics). */
function applyOpenApi30(source: Record<string, unknown>, out: Record<string, unknown>): void {
  if (source.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof source[flag] !== 'boolean') continue;
    if (source[flag] === true && typeof source[bound] === 'number') {
      out[flag] = source[bound];
      delete out[bound];
    } else {
      delete out[flag];
    }
  }
}

function isHiddenProperty(schema: unknown, direction: Direction): boolean {
  if (!isPlainObject(schema)) return false;
  return direction === 'request' ? schema.readOnly === true : schema.writeOnly === true;
}

function mayBeObject(schema: Record<string, unknown>): boolean {
  const type = schema.type;
  if (type === undefined) return true;
  return type === 'object' || (Array.isArray(type) && type.includes('object'));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
