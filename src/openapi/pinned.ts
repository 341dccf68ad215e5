/**
 * Which validated values the schema pins so tightly that a WAF learns nothing by inspecting them.
 *
 * A value is pinned when its schema admits no free text: integers, booleans, bounded numbers,
 * enumerations and constants, strings in a closed format (uuid, date, date-time, ip addresses)
 * and strings under an anchored pattern without wildcards. Anything else, and anything
 * below anyOf/oneOf (where we cannot tell which branch matched), stays inspected.
 */

import { isPlainObject, type JsonSchema } from './convert.js';
import { escapePointerToken } from './json.js';

/**
 * Closed formats. `email` is deliberately absent: RFC 5322 local parts admit ' ` | { } = / and
 * ajv-formats accepts "x`id`@example.com", a shell injection the WAF must still see (measured
 * on test/openapi/corpus/attacks-pinned.json).
 */
export const PINNED_FORMATS: ReadonlySet<string> = new Set(['uuid', 'date-time', 'date', 'time', 'ipv4', 'ipv6']);

/** Whether every value this schema accepts is pinned (see the module comment). */
export function isPinnedSchema(schema: JsonSchema | undefined): boolean {
  if (!isPlainObject(schema)) return false;
  if (Array.isArray(schema.enum) || 'const' in schema) return true;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.length === 0 || types.includes(undefined)) return false;
  return types.every((type) => {
    switch (type) {
      case 'integer':
      case 'boolean':
      case 'null':
        return true;
      case 'number':
        return (
          (typeof schema.minimum === 'number' || typeof schema.exclusiveMinimum === 'number') &&
          (typeof schema.maximum === 'number' || typeof schema.exclusiveMaximum === 'number')
        );
      case 'string':
        return (
          (typeof schema.format === 'string' && PINNED_FORMATS.has(schema.format)) ||
          (typeof schema.pattern === 'string' && isClosedPattern(schema.pattern))
        );
      default:
        return false;
    }
  });
}

/**
 * An anchored pattern whose every character comes from a listed set: no '.', no negated class,
 * no \S \W \D, so it cannot admit quotes or angle brackets unless it names them.
 */
export function isClosedPattern(pattern: string): boolean {
  if (!pattern.startsWith('^') || !pattern.endsWith('$') || pattern.endsWith('\\$')) return false;
  let inClass = false;
  for (let i = 1; i < pattern.length - 1; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === 'S' || next === 'W' || next === 'D' || next === 'p' || next === 'P') return false;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      if (pattern[i + 1] === '^') return false;
      inClass = true;
    } else if (c === '.') {
      return false;
    }
  }
  // A class admitting quote-like or markup characters is free text for our purpose.
  return !/['"<>;`]/.test(pattern);
}

/** Adds to `out` the JSON pointers (RFC 6901) of the pinned scalar values in a validated document. */
export function collectPinnedPointers(
  schema: JsonSchema | undefined,
  value: unknown,
  pointer: string,
  out: Set<string>,
): void {
  if (!isPlainObject(schema)) return;
  if (value === null || typeof value !== 'object') {
    if (isPinnedSchema(schema) || allOfPinned(schema)) out.add(pointer);
    return;
  }
  if (Array.isArray(value)) {
    const items = schema.items as JsonSchema | undefined;
    for (let i = 0; i < value.length; i++) collectPinnedPointers(items, value[i], `${pointer}/${i}`, out);
  } else {
    const props = isPlainObject(schema.properties) ? schema.properties : undefined;
    const extra = isPlainObject(schema.additionalProperties) ? (schema.additionalProperties as JsonSchema) : undefined;
    for (const [key, member] of Object.entries(value)) {
      const sub = (props?.[key] as JsonSchema | undefined) ?? extra;
      collectPinnedPointers(sub, member, `${pointer}/${escapePointerToken(key)}`, out);
    }
  }
  // A value satisfies every allOf branch, so what any branch pins is pinned.
  if (Array.isArray(schema.allOf)) {
    for (const branch of schema.allOf) collectPinnedPointers(branch as JsonSchema, value, pointer, out);
  }
}

function allOfPinned(schema: Record<string, unknown>): boolean {
  return Array.isArray(schema.allOf) && schema.allOf.some((branch) => isPinnedSchema(branch as JsonSchema));
}
