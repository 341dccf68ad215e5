/**
 * Turns a route's `validation` section into compiled Ajv validators, once, at configuration load.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { ProblemItem } from '../../errors/problem.js';
import { type ConvertOptions, convertSchema, isPlainObject, type JsonSchema } from '../../openapi/convert.js';
import { isJsonMediaType, type JsonLimits } from '../../openapi/json.js';
import { isPinnedSchema } from '../../openapi/pinned.js';
import { type ParameterPlan, planParameter, typesOf } from './params.js';
import {
  PARAMETER_LOCATIONS,
  type ParameterLocation,
  type ValidationGlobalConfig,
  type ValidationRouteConfig,
} from './schema.js';

export const DEFAULTS = Object.freeze({
  maxBodyBytes: 1_048_576,
  maxResponseBytes: 1_048_576,
  maxDepth: 32,
  maxArrayLength: 10_000,
  maxProperties: 1_000,
  maxPatternInput: 1_024,
});

/** At most this many failing locations are listed in one problem body. */
export const MAX_REPORTED_ERRORS = 20;

const KNOWN_FORMATS: ReadonlySet<string> = new Set(Object.keys(fullFormats));

/**
 * One Ajv instance per loaded configuration. Strict schema checking (unknown keywords are load
 * errors, so a misspelt `maxLenght` cannot silently disable a check); strictTypes and
 * strictRequired stay off because valid OpenAPI documents routinely trip them through allOf.
 */
export function createAjv(global: ValidationGlobalConfig | undefined): Ajv2020 {
  const maxInput = global?.maxPatternInput ?? DEFAULTS.maxPatternInput;
  // V-4 / ASVS 15.2.2: backtracking regexes are only run on inputs up to a fixed length, so a
  // long crafted string cannot hold the event loop; a longer string fails the pattern.
  const regExp = Object.assign(
    (pattern: string, flags: string) => {
      const re = new RegExp(pattern, flags);
      return {
        test: (input: string) => input.length <= maxInput && re.test(input),
        toString: () => `/${pattern}/${flags}#${maxInput}`,
      };
    },
    { code: 'portcullisBoundedRegExp' },
  );
  const ajv = new Ajv2020({
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    allErrors: true,
    unicodeRegExp: true,
    code: { regExp },
  });
  for (const [name, format] of Object.entries(fullFormats)) ajv.addFormat(name, format);
  return ajv;
}

export interface MediaRule {
  /** Lower-case media range from the description: application/json, application/*, *\/*. */
  readonly range: string;
  readonly json: boolean;
  /** application/x-www-form-urlencoded with a schema: field name -> how to type its text. */
  readonly form: ReadonlyMap<string, { readonly types: readonly string[]; readonly array: boolean }> | undefined;
  readonly schema: JsonSchema | undefined;
  readonly validate: ValidateFunction | undefined;
}

export interface CompiledLocation {
  readonly in: ParameterLocation;
  readonly validate: ValidateFunction;
  /** Names whose value the schema pins (WAF hints). */
  readonly pinned: ReadonlySet<string>;
}

export interface CompiledOperation {
  readonly plans: readonly ParameterPlan[];
  readonly locations: readonly CompiledLocation[];
  readonly hasCookies: boolean;
  readonly unknownQuery: 'reject' | 'allow';
  readonly body: { readonly required: boolean; readonly media: readonly MediaRule[] } | undefined;
  readonly responses: ReadonlyMap<string, readonly MediaRule[]>;
  readonly validateResponses: boolean;
  readonly wafHints: boolean;
  readonly limits: JsonLimits;
  readonly maxBodyBytes: number;
  readonly maxResponseBytes: number;
}

/** Thrown for a description that cannot be compiled; `path` is relative to the route's `validation`. */
export class CompileError extends Error {
  readonly path: readonly (string | number)[];
  constructor(path: readonly (string | number)[], message: string) {
    super(message);
    this.path = path;
  }
}

export function compileOperation(
  ajv: Ajv2020,
  config: ValidationRouteConfig,
  global: ValidationGlobalConfig | undefined,
): CompiledOperation {
  const version = config.openapi ?? '3.1';
  const closeObjects = (config.unknownBodyProperties ?? 'reject') === 'reject';
  const baseOptions: ConvertOptions = { version, direction: 'request', closeObjects, knownFormats: KNOWN_FORMATS };
  const schemas = config.components?.schemas;
  const withComponents = (options: ConvertOptions): ConvertOptions => {
    if (schemas === undefined) return options;
    try {
      return { ...options, componentsBase: registerComponents(ajv, schemas, options) };
    } catch (err) {
      throw new CompileError(['components'], err instanceof Error ? err.message : String(err));
    }
  };
  const requestOptions = withComponents(baseOptions);
  const responseOptions = withComponents({ ...baseOptions, direction: 'response' });

  const compile = (schema: JsonSchema, path: (string | number)[]): ValidateFunction => {
    try {
      return ajv.compile(schema);
    } catch (err) {
      throw new CompileError(path, `schema does not compile: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const convert = (schema: unknown, options: ConvertOptions, path: (string | number)[]): JsonSchema => {
    try {
      return convertSchema(schema, options);
    } catch (err) {
      throw new CompileError(path, err instanceof Error ? err.message : String(err));
    }
  };

  const plans: ParameterPlan[] = [];
  const parameters = config.parameters ?? [];
  parameters.forEach((param, i) => {
    let schema: JsonSchema = true;
    if (param.schema !== undefined) schema = convert(param.schema, requestOptions, ['parameters', i, 'schema']);
    else if (param.content !== undefined) {
      const [type, media] = Object.entries(param.content)[0] ?? [];
      if (type === undefined || !isJsonMediaType(type)) {
        throw new CompileError(['parameters', i, 'content'], 'only application/json parameter content is supported');
      }
      if (media?.schema !== undefined)
        schema = convert(media.schema, requestOptions, ['parameters', i, 'content', type, 'schema']);
    }
    if (param.style === 'deepObject' && param.in !== 'query') {
      throw new CompileError(['parameters', i, 'style'], 'deepObject applies to query parameters only');
    }
    plans.push(planParameter(param, schema));
  });

  const locations: CompiledLocation[] = [];
  for (const location of PARAMETER_LOCATIONS) {
    const mine = plans.filter((p) => p.in === location);
    if (mine.length === 0) continue;
    const properties: Record<string, JsonSchema> = {};
    const pinned = new Set<string>();
    for (const plan of mine) {
      properties[plan.name] = plan.schema;
      for (const name of pinnedArgumentNames(plan)) pinned.add(name);
    }
    const required = mine.filter((p) => p.required).map((p) => p.name);
    const schema = { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
    locations.push({ in: location, validate: compile(schema, ['parameters']), pinned });
  }

  const mediaRules = (
    content: Record<string, { schema?: unknown }>,
    options: ConvertOptions,
    path: (string | number)[],
  ) =>
    Object.entries(content).map(([type, media]): MediaRule => {
      const range = type.split(';')[0]!.trim().toLowerCase();
      const json = isJsonMediaType(range);
      const isForm = range === FORM_TYPE;
      const schema =
        (json || isForm) && media.schema !== undefined
          ? convert(media.schema, options, [...path, type, 'schema'])
          : undefined;
      return {
        range,
        json,
        form: isForm && schema !== undefined ? formFields(schema) : undefined,
        schema,
        validate: schema === undefined ? undefined : compile(schema, [...path, type, 'schema']),
      };
    });

  const body = config.requestBody
    ? {
        required: config.requestBody.required === true,
        media: mediaRules(config.requestBody.content, requestOptions, ['requestBody', 'content']),
      }
    : undefined;

  const validateResponses = config.validateResponses === 'detect';
  const responses = new Map<string, readonly MediaRule[]>();
  if (validateResponses) {
    for (const [status, response] of Object.entries(config.responses ?? {})) {
      if (response.content)
        responses.set(
          status.toUpperCase(),
          mediaRules(response.content, responseOptions, ['responses', status, 'content']),
        );
    }
  }

  const pick = (key: keyof typeof DEFAULTS & keyof ValidationRouteConfig) =>
    config[key] ?? global?.[key] ?? DEFAULTS[key];
  return {
    plans,
    locations,
    hasCookies: plans.some((p) => p.in === 'cookie'),
    unknownQuery: config.unknownQuery ?? (config.parameters !== undefined ? 'reject' : 'allow'),
    body,
    responses,
    validateResponses,
    wafHints: config.wafHints ?? true,
    limits: {
      maxDepth: pick('maxDepth'),
      maxArrayLength: pick('maxArrayLength'),
      maxProperties: pick('maxProperties'),
    },
    maxBodyBytes: pick('maxBodyBytes'),
    maxResponseBytes: pick('maxResponseBytes'),
  };
}

export const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Components registered per Ajv instance, so routes of one document share one compiled copy. */
const registered = new WeakMap<Ajv2020, WeakMap<object, Map<string, string>>>();
let registrations = 0;

/**
 * Registers a recursive document's component schemas in Ajv, converted for one direction, and
 * returns the base their references resolve against (`<id>#/$defs`).
 */
function registerComponents(ajv: Ajv2020, schemas: Record<string, unknown>, options: ConvertOptions): string {
  let byDoc = registered.get(ajv);
  if (!byDoc) registered.set(ajv, (byDoc = new WeakMap()));
  let byOptions = byDoc.get(schemas);
  if (!byOptions) byDoc.set(schemas, (byOptions = new Map()));
  const key = `${options.version}:${options.direction}:${options.closeObjects}`;
  const known = byOptions.get(key);
  if (known) return known;
  const id = `urn:portcullis:components:${++registrations}:${options.direction}`;
  const base = `${id}#/$defs`;
  const defs: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    defs[name] = convertSchema(schema, { ...options, componentsBase: base });
  }
  ajv.addSchema({ $id: id, $defs: defs });
  byOptions.set(key, base);
  return base;
}

/** OpenAPI 3.1 §4.8.15: form fields are the schema's properties, each typed by its own schema. */
function formFields(schema: JsonSchema): Map<string, { types: readonly string[]; array: boolean }> {
  const fields = new Map<string, { types: readonly string[]; array: boolean }>();
  if (!isPlainObject(schema) || !isPlainObject(schema.properties)) return fields;
  for (const [name, sub] of Object.entries(schema.properties)) {
    const types = typesOf(sub as JsonSchema);
    const array = types.includes('array');
    fields.set(name, { types: array && isPlainObject(sub) ? typesOf(sub.items as JsonSchema) : types, array });
  }
  return fields;
}

/** The argument names a parameter puts on the wire whose values its schema pins. */
function pinnedArgumentNames(plan: ParameterPlan): string[] {
  const schema = plan.schema;
  if (plan.shape === 'scalar') return isPinnedSchema(schema) ? [plan.name] : [];
  if (plan.shape === 'array')
    return isPlainObject(schema) && isPinnedSchema(schema.items as JsonSchema) ? [plan.name] : [];
  if (plan.shape !== 'object' || !isPlainObject(schema) || !isPlainObject(schema.properties)) return [];
  const out: string[] = [];
  for (const [prop, sub] of Object.entries(schema.properties)) {
    if (!isPinnedSchema(sub as JsonSchema)) continue;
    if (plan.style === 'deepObject') out.push(`${plan.name}[${prop}]`);
    else if (plan.explode && plan.in === 'query') out.push(prop);
  }
  return out;
}

/** Picks the media rule for a Content-Type: exact, then type/*, then *\/* (OpenAPI 3.1 §4.8.14). */
export function matchMedia(rules: readonly MediaRule[], contentType: string): MediaRule | undefined {
  // Usually the type is sent exactly as described (lower case, no parameters): the answer the
  // normalised lookup below would give, without the string work.
  for (const rule of rules) if (rule.range === contentType) return rule;
  const base = contentType.split(';')[0]!.trim().toLowerCase();
  const slash = base.indexOf('/');
  if (slash <= 0) return undefined;
  const wildcard = `${base.slice(0, slash)}/*`;
  return (
    rules.find((r) => r.range === base) ??
    rules.find((r) => r.range === wildcard) ??
    rules.find((r) => r.range === '*/*')
  );
}

/** Response rules for a status: exact code, then the range (2XX), then `default`. */
export function responseRules(
  responses: ReadonlyMap<string, readonly MediaRule[]>,
  status: number,
): readonly MediaRule[] | undefined {
  return responses.get(String(status)) ?? responses.get(`${Math.floor(status / 100)}XX`) ?? responses.get('DEFAULT');
}

const SAFE_TOKEN = /^[A-Za-z0-9_.~-]{1,64}$/;

/**
 * Ajv errors as problem items. Locations are JSON pointers under `prefix`; a token that did not
 * come from the description (a client-chosen key) is shown as '*' so input is never echoed.
 * Unknown properties are reported at their parent for the same reason.
 */
export function toProblemItems(errors: readonly ErrorObject[] | null | undefined, prefix: string): ProblemItem[] {
  const out: ProblemItem[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    let pointer = sanitizePointer(error.instancePath);
    let rule = error.keyword;
    if (rule === 'required' && typeof error.params.missingProperty === 'string') {
      pointer += `/${sanitizeToken(error.params.missingProperty.replaceAll('~', '~0').replaceAll('/', '~1'))}`;
    } else if (rule === 'unevaluatedProperties') {
      rule = 'additionalProperties';
    }
    const location = prefix + pointer;
    const key = `${location} ${rule}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ location, rule });
    if (out.length >= MAX_REPORTED_ERRORS) break;
  }
  return out;
}

export function sanitizePointer(pointer: string): string {
  if (pointer === '') return '';
  let out = '';
  for (const token of pointer.slice(1).split('/')) out += `/${sanitizeToken(token)}`;
  return out;
}

function sanitizeToken(token: string): string {
  return SAFE_TOKEN.test(token) ? token : '*';
}
