/**
 * Reading OpenAPI parameters out of the request, following their `style` and `explode`
 * (OpenAPI 3.1 §4.8.12.4): query `form` (default), `spaceDelimited`, `pipeDelimited` and
 * `deepObject`; path and header `simple`; cookie `form`. Raw text becomes typed values by the
 * parameter's schema before Ajv sees it, so `?limit=10` validates as the integer 10.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ProblemItem } from '../../errors/problem.js';
import { isPlainObject, type JsonSchema } from '../../openapi/convert.js';
import { escapePointerToken, isJsonMediaType, parseStrictJson } from '../../openapi/json.js';
import type { ParameterConfig, ParameterLocation } from './schema.js';

export interface ParameterPlan {
  readonly name: string;
  readonly in: ParameterLocation;
  readonly required: boolean;
  readonly style: NonNullable<ParameterConfig['style']>;
  readonly explode: boolean;
  readonly shape: 'scalar' | 'array' | 'object' | 'json';
  /** Types a scalar (or each array item) may take, for coercion from text. */
  readonly types: readonly string[];
  /** Object parameters: property name -> types. */
  readonly properties: ReadonlyMap<string, readonly string[]>;
  readonly schema: JsonSchema;
}

const DEFAULT_STYLE: Record<ParameterLocation, ParameterPlan['style']> = {
  path: 'simple',
  query: 'form',
  header: 'simple',
  cookie: 'form',
};

export function planParameter(param: ParameterConfig, schema: JsonSchema): ParameterPlan {
  const style = param.style ?? DEFAULT_STYLE[param.in];
  // OpenAPI 3.1 §4.8.12.4: explode defaults to true for form, false otherwise.
  const explode = param.explode ?? style === 'form';
  const json = param.content !== undefined && Object.keys(param.content).some(isJsonMediaType);
  let shape: ParameterPlan['shape'] = 'scalar';
  let types = typesOf(schema);
  const properties = new Map<string, readonly string[]>();
  if (json) shape = 'json';
  else if (types.includes('array')) {
    shape = 'array';
    types = typesOf(isPlainObject(schema) ? (schema.items as JsonSchema) : undefined);
  } else if (types.includes('object') || style === 'deepObject') {
    shape = 'object';
    if (isPlainObject(schema) && isPlainObject(schema.properties)) {
      for (const [name, sub] of Object.entries(schema.properties)) properties.set(name, typesOf(sub as JsonSchema));
    }
  }
  return {
    name: param.name,
    in: param.in,
    required: param.required === true,
    style,
    explode,
    shape,
    types,
    properties,
    schema,
  };
}

export function typesOf(schema: JsonSchema | undefined): string[] {
  if (!isPlainObject(schema)) return [];
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.filter((t): t is string => typeof t === 'string');
  if (Array.isArray(schema.enum))
    return [...new Set(schema.enum.map((v) => (typeof v === 'number' ? 'number' : typeof v)))];
  return [];
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Text to the first type it fits; what fits none stays text and fails Ajv's `type` check. */
export function coerce(raw: string, types: readonly string[]): unknown {
  if (types.length === 0) return raw;
  if ((types.includes('integer') || types.includes('number')) && NUMBER.test(raw)) return Number(raw);
  if (types.includes('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

/**
 * application/x-www-form-urlencoded parsing (WHATWG URL §5.1): '&'-separated, '+' is a space.
 * Returns undefined when a percent-escape is malformed or decodes to invalid UTF-8.
 */
export function parseQuery(raw: string): Map<string, string[]> | undefined {
  const out = new Map<string, string[]>();
  if (raw === '') return out;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeFormComponent(eq < 0 ? part : part.slice(0, eq));
    const value = decodeFormComponent(eq < 0 ? '' : part.slice(eq + 1));
    if (key === undefined || value === undefined) return undefined;
    const list = out.get(key);
    if (list) list.push(value);
    else out.set(key, [value]);
  }
  return out;
}

function decodeFormComponent(text: string): string | undefined {
  const spaced = text.includes('+') ? text.replaceAll('+', ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return undefined;
  }
}

/** RFC 6265 §5.4 cookie-string: `name=value` pairs separated by ';'. */
export function parseCookies(header: string | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!header) return out;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // Cookie values need not be percent-encoded; an undecodable one is kept as sent.
    }
    const list = out.get(name);
    if (list) list.push(value);
    else out.set(name, [value]);
  }
  return out;
}

export interface RawParameters {
  readonly query: Map<string, string[]>;
  readonly cookies: Map<string, string[]>;
  readonly params: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
}

export interface ReadResult {
  readonly values: Record<ParameterLocation, Record<string, unknown>>;
  readonly errors: ProblemItem[];
  /** Query keys consumed by declared parameters. */
  readonly consumed: Set<string>;
}

export function readParameters(plans: readonly ParameterPlan[], raw: RawParameters): ReadResult {
  const values: ReadResult['values'] = { path: {}, query: {}, header: {}, cookie: {} };
  const errors: ProblemItem[] = [];
  const consumed = new Set<string>();
  for (const plan of plans) {
    const location = `/${plan.in}/${escapePointerToken(plan.name)}`;
    const fail = (rule: string): void => {
      errors.push({ location, rule });
    };
    if (plan.in === 'query') {
      const value = readQuery(plan, raw.query, consumed, fail);
      if (value !== undefined) values.query[plan.name] = value;
      continue;
    }
    let occurrences: string[] | undefined;
    if (plan.in === 'path') {
      const v = raw.params[plan.name];
      occurrences = v === undefined ? undefined : [v];
    } else if (plan.in === 'header') {
      const v = raw.headers[plan.name.toLowerCase()];
      occurrences = v === undefined ? undefined : Array.isArray(v) ? v : [v];
    } else {
      occurrences = raw.cookies.get(plan.name);
    }
    if (occurrences === undefined) continue;
    // RFC 9110 §5.3: repeated header lines are one comma-separated list; cookies must not repeat.
    if (occurrences.length > 1 && plan.in === 'cookie') {
      fail('duplicate');
      continue;
    }
    const text = plan.in === 'header' ? occurrences.join(', ') : occurrences[0]!;
    const value = readDelimited(plan, text, plan.in === 'header', fail);
    if (value !== undefined) values[plan.in][plan.name] = value;
  }
  return { values, errors, consumed };
}

function readQuery(
  plan: ParameterPlan,
  query: Map<string, string[]>,
  consumed: Set<string>,
  fail: (rule: string) => void,
): unknown {
  if (plan.shape === 'object' && plan.style === 'deepObject') {
    const out: Record<string, unknown> = {};
    let found = false;
    const prefix = `${plan.name}[`;
    for (const [key, list] of query) {
      if (!key.startsWith(prefix) || !key.endsWith(']')) continue;
      consumed.add(key);
      found = true;
      if (list.length > 1) fail('duplicate');
      const prop = key.slice(prefix.length, -1);
      if (prop === '__proto__' || prop === 'constructor') fail('forbiddenKey');
      else out[prop] = coerce(list[0]!, plan.properties.get(prop) ?? []);
    }
    return found ? out : undefined;
  }
  if (plan.shape === 'object' && plan.explode) {
    // form + explode spreads the properties as separate query keys.
    const out: Record<string, unknown> = {};
    let found = false;
    for (const [prop, types] of plan.properties) {
      const list = query.get(prop);
      if (list === undefined) continue;
      consumed.add(prop);
      found = true;
      if (list.length > 1) fail('duplicate');
      out[prop] = coerce(list[0]!, types);
    }
    return found ? out : undefined;
  }
  const list = query.get(plan.name);
  if (list === undefined) return undefined;
  consumed.add(plan.name);
  if (plan.shape === 'array' && plan.explode) return list.map((v) => coerce(v, plan.types));
  // ASVS 15.3.7 (parameter pollution): a single-valued parameter given twice is refused, since
  // the gateway and the upstream may each pick a different copy.
  if (list.length > 1) {
    fail('duplicate');
    return undefined;
  }
  return readDelimited(plan, list[0]!, false, fail);
}

function readDelimited(plan: ParameterPlan, text: string, trim: boolean, fail: (rule: string) => void): unknown {
  switch (plan.shape) {
    case 'scalar':
      return coerce(trim ? text.trim() : text, plan.types);
    case 'json': {
      const parsed = parseStrictJson(text);
      if (!parsed.ok) {
        fail(parsed.rule);
        return undefined;
      }
      return parsed.value;
    }
    case 'array': {
      if (text === '') return [];
      const separator = plan.style === 'spaceDelimited' ? ' ' : plan.style === 'pipeDelimited' ? '|' : ',';
      return text.split(separator).map((v) => coerce(trim ? v.trim() : v, plan.types));
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      const parts = text.split(',');
      const pairs: [string, string][] = [];
      if (plan.explode) {
        for (const part of parts) {
          const eq = part.indexOf('=');
          pairs.push(eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)]);
        }
      } else {
        if (parts.length % 2 !== 0) {
          fail('style');
          return undefined;
        }
        for (let i = 0; i < parts.length; i += 2) pairs.push([parts[i]!, parts[i + 1]!]);
      }
      for (const [rawKey, value] of pairs) {
        const key = trim ? rawKey.trim() : rawKey;
        if (key === '__proto__' || key === 'constructor') {
          fail('forbiddenKey');
          return undefined;
        }
        if (Object.hasOwn(out, key)) {
          fail('duplicate');
          return undefined;
        }
        out[key] = coerce(trim ? value.trim() : value, plan.properties.get(key) ?? []);
      }
      return out;
    }
  }
}
