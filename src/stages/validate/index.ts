/**
 * The validate stage: a positive security model from the route's API description.
 *
 *   requestHead  parameters (path, query, header, cookie), unknown query keys, Content-Type (415),
 *                declared Content-Length (413), a required body that is absent
 *   requestBody  strict JSON parse (duplicates, __proto__, depth, sizes), then the body schema
 *   responseBody detect mode only: the answer against the declared response, logged, never blocked
 *
 * Each validated request leaves WafHints in ctx.state so the WAF can skip pinned values.
 */

import { isUtf8 } from 'node:buffer';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { ConfigError } from '../../config/errors.js';
import type { ProblemItem } from '../../errors/problem.js';
import type { JsonSchema } from '../../openapi/convert.js';
import { DEFAULT_JSON_LIMITS, escapePointerToken, type JsonLimits, parseStrictJsonBytes } from '../../openapi/json.js';
import { collectPinnedPointers } from '../../openapi/pinned.js';
import type { RequestContext, ResponseHead } from '../../pipeline/context.js';
import { CONTINUE, respondProblem, type Stage, type Verdict } from '../../pipeline/stage.js';
import type { StageDefinition } from '../definition.js';
import {
  type CompiledOperation,
  CompileError,
  compileOperation,
  createAjv,
  MAX_REPORTED_ERRORS,
  type MediaRule,
  matchMedia,
  responseRules,
  sanitizePointer,
  toProblemItems,
} from './compile.js';
import { coerce, parseCookies, parseQuery, readParameters } from './params.js';
import {
  type ValidationGlobalConfig,
  ValidationGlobalSchema,
  type ValidationRouteConfig,
  ValidationRouteSchema,
} from './schema.js';

/** ctx.state key under which the validate stage publishes WafHints for the request. */
export const WAF_HINTS: unique symbol = Symbol('portcullis.validate.wafHints');

/**
 * Arguments of a validated request whose values the schema pins (integers, booleans, bounded
 * numbers, enums, uuid/date-time/email..., closed patterns). Free text is never listed.
 */
export interface WafHints {
  readonly path: ReadonlySet<string>;
  /** Query argument names as sent (a deepObject member is `filter[color]`). */
  readonly query: ReadonlySet<string>;
  /** Lower-case header names. */
  readonly headers: ReadonlySet<string>;
  readonly cookies: ReadonlySet<string>;
  /** RFC 6901 pointers into the JSON request body, e.g. /pets/0/id (computed on first read). */
  readonly body: ReadonlySet<string>;
}

/** Hints for one request; the body pointers are only walked out if a later stage asks. */
class RequestHints implements WafHints {
  readonly path: ReadonlySet<string>;
  readonly query: ReadonlySet<string>;
  readonly headers: ReadonlySet<string>;
  readonly cookies: ReadonlySet<string>;
  #schema: JsonSchema | undefined;
  #value: unknown;
  #body: Set<string> | undefined;

  constructor(
    path: ReadonlySet<string>,
    query: ReadonlySet<string>,
    headers: ReadonlySet<string>,
    cookies: ReadonlySet<string>,
  ) {
    this.path = path;
    this.query = query;
    this.headers = headers;
    this.cookies = cookies;
  }

  setBody(schema: JsonSchema, value: unknown): void {
    this.#schema = schema;
    this.#value = value;
    this.#body = undefined;
  }

  get body(): ReadonlySet<string> {
    if (this.#body === undefined) {
      this.#body = new Set();
      if (this.#schema !== undefined) collectPinnedPointers(this.#schema, this.#value, '', this.#body);
    }
    return this.#body;
  }
}

/** Whether the WAF may skip an argument: `source` as in WafHints, `name` a name or body pointer. */
export function isPinned(ctx: RequestContext, source: keyof WafHints, name: string): boolean {
  const hints = ctx.state.get(WAF_HINTS) as WafHints | undefined;
  return hints?.[source].has(name) ?? false;
}

const VALIDATED_BODY = Symbol('portcullis.validate.jsonBody');

/**
 * The JSON document the validate stage parsed and accepted, when `bytes` is still the body it
 * read and its limits were no looser than DEFAULT_JSON_LIMITS (so a parse with the defaults
 * would have given the same answer). Lets a later stage edit the body without parsing it again.
 */
export function validatedJsonBody(ctx: RequestContext, bytes: Buffer): { ok: true; value: unknown } | undefined {
  const body = ctx.state.get(VALIDATED_BODY) as { bytes: Buffer; value: unknown } | undefined;
  return body !== undefined && body.bytes === bytes ? { ok: true, value: body.value } : undefined;
}

function withinDefaults(limits: JsonLimits): boolean {
  return (
    limits.maxDepth <= DEFAULT_JSON_LIMITS.maxDepth &&
    limits.maxArrayLength <= DEFAULT_JSON_LIMITS.maxArrayLength &&
    limits.maxProperties <= DEFAULT_JSON_LIMITS.maxProperties
  );
}

interface ValidateShared {
  /** Created on first use: a configuration without validated routes pays nothing. */
  ajv(): Ajv2020;
  readonly global: ValidationGlobalConfig | undefined;
}

const PENDING_BODY = Symbol('portcullis.validate.body');
const EMPTY: ReadonlySet<string> = new Set();

export const validateStageDefinition: StageDefinition<ValidationGlobalConfig, ValidationRouteConfig, ValidateShared> = {
  name: 'validate',
  global: { key: 'validation', schema: ValidationGlobalSchema },
  route: { key: 'validation', schema: ValidationRouteSchema },
  async setup(global) {
    let ajv: Ajv2020 | undefined;
    return { ajv: () => (ajv ??= createAjv(global)), global };
  },
  create(route, shared) {
    const settings = route.settings;
    if (settings === undefined || settings.enabled === false) return undefined;
    let operation: CompiledOperation;
    try {
      operation = compileOperation(shared.ajv(), settings, shared.global);
    } catch (err) {
      if (err instanceof CompileError) throw new ConfigError([...route.path, 'validation', ...err.path], err.message);
      throw err;
    }
    return createValidateStage(operation);
  },
};

export function createValidateStage(op: CompiledOperation): Stage {
  const pinned = (where: string) => op.locations.find((l) => l.in === where)?.pinned ?? EMPTY;
  const pathHints = pinned('path');
  const queryHints = pinned('query');
  const headerHints: ReadonlySet<string> = new Set([...pinned('header')].map((h) => h.toLowerCase()));
  const cookieHints = pinned('cookie');
  const shareBody = withinDefaults(op.limits);
  const invalid = (errors: readonly ProblemItem[], reason: string): Verdict =>
    respondProblem('invalid', 'PC_ERR_VALIDATION', { errors: errors.slice(0, MAX_REPORTED_ERRORS), reason });

  const stage: Stage = {
    name: 'validate',

    requestHead(ctx) {
      const query = parseQuery(ctx.query);
      if (query === undefined) return invalid([{ location: '/query', rule: 'encoding' }], 'undecodable query string');
      const cookie = ctx.headers.cookie;
      const read = readParameters(op.plans, {
        query,
        cookies: op.hasCookies ? parseCookies(Array.isArray(cookie) ? cookie.join('; ') : cookie) : new Map(),
        params: ctx.params,
        headers: ctx.headers,
      });
      const errors = read.errors;
      if (op.unknownQuery === 'reject') {
        for (const key of query.keys()) {
          if (!read.consumed.has(key)) {
            errors.push({ location: '/query', rule: 'additionalProperties' });
            break;
          }
        }
      }
      for (const location of op.locations) {
        if (!location.validate(read.values[location.in]))
          errors.push(...toProblemItems(location.validate.errors, `/${location.in}`));
      }

      const body = checkBodyHead(ctx, op);
      if (body.kind === 'verdict') return body.verdict;
      if (body.kind === 'error') errors.push(body.error);
      if (errors.length > 0) return invalid(errors, 'request does not match the description');

      if (op.wafHints) ctx.state.set(WAF_HINTS, new RequestHints(pathHints, queryHints, headerHints, cookieHints));
      if (body.kind === 'parsed') ctx.state.set(PENDING_BODY, body.rule);
      return CONTINUE;
    },

    wantsRequestBody(ctx) {
      return ctx.state.has(PENDING_BODY);
    },

    requestBody(ctx) {
      const rule = ctx.state.get(PENDING_BODY) as MediaRule | undefined;
      if (rule === undefined) return CONTINUE;
      const bytes = ctx.requestBody ?? Buffer.alloc(0);
      if (bytes.length > op.maxBodyBytes) {
        return respondProblem('too_large', 'PC_ERR_BODY_TOO_LARGE', { reason: 'body exceeds maxBodyBytes' });
      }
      if (bytes.length === 0) {
        return op.body?.required ? invalid([{ location: '/body', rule: 'required' }], 'empty body') : CONTINUE;
      }
      const parsed = rule.form ? readForm(bytes, rule.form) : parseStrictJsonBytes(bytes, op.limits);
      if (!parsed.ok)
        return invalid(
          [{ location: `/body${sanitizePointer(parsed.location)}`, rule: parsed.rule }],
          `body ${parsed.rule}`,
        );
      const validate = rule.validate;
      if (validate && !validate(parsed.value)) {
        return invalid(toProblemItems(validate.errors, '/body'), 'body does not match the schema');
      }
      const hints = ctx.state.get(WAF_HINTS);
      if (hints instanceof RequestHints && rule.schema !== undefined) hints.setBody(rule.schema, parsed.value);
      if (!rule.form && shareBody) ctx.state.set(VALIDATED_BODY, { bytes, value: parsed.value });
      return CONTINUE;
    },
  };

  if (op.validateResponses) {
    stage.responseHead = (ctx, head) => {
      if (responseRules(op.responses, head.status) === undefined && op.responses.size > 0) {
        ctx.logFields.responseValidation = [{ location: '/status', rule: 'undeclared' }];
      }
      return CONTINUE;
    };
    stage.wantsResponseBody = (_ctx, head) => responseRuleFor(op, head) !== undefined;
    stage.responseBody = (ctx, head) => {
      const rule = responseRuleFor(op, head);
      if (rule?.validate === undefined || ctx.responseBody === undefined) return CONTINUE;
      const parsed = parseStrictJsonBytes(ctx.responseBody, op.limits);
      if (!parsed.ok) {
        ctx.logFields.responseValidation = [
          { location: `/body${sanitizePointer(parsed.location)}`, rule: parsed.rule },
        ];
      } else if (!rule.validate(parsed.value)) {
        ctx.logFields.responseValidation = toProblemItems(rule.validate.errors, '/body');
      }
      return CONTINUE;
    };
  }
  return stage;
}

type BodyHead =
  | { readonly kind: 'none' }
  | { readonly kind: 'parsed'; readonly rule: MediaRule }
  | { readonly kind: 'error'; readonly error: ProblemItem }
  | { readonly kind: 'verdict'; readonly verdict: Verdict };

/** RFC 9112 §6.3: a request has content when it declares a non-zero length or a transfer coding. */
function declaredBody(ctx: RequestContext): { present: boolean; length: number | undefined } {
  const te = ctx.headers['transfer-encoding'];
  const cl = ctx.headers['content-length'];
  const length = cl === undefined ? undefined : Number(cl);
  return { present: te !== undefined || (length !== undefined && length > 0), length };
}

function checkBodyHead(ctx: RequestContext, op: CompiledOperation): BodyHead {
  const { present, length } = declaredBody(ctx);
  if (!present) {
    return op.body?.required ? { kind: 'error', error: { location: '/body', rule: 'required' } } : { kind: 'none' };
  }
  const unsupported: BodyHead = {
    kind: 'verdict',
    verdict: respondProblem('invalid', 'PC_ERR_UNSUPPORTED_MEDIA_TYPE', { reason: 'content type not described' }),
  };
  if (op.body === undefined) return unsupported;
  const contentType = ctx.headers['content-type'];
  const rule = contentType === undefined ? undefined : matchMedia(op.body.media, contentType);
  if (rule === undefined || contentType === undefined) return unsupported;
  // RFC 8259 §8.1: JSON exchanged between systems is UTF-8.
  const charset = contentType.includes(';')
    ? /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase()
    : undefined;
  if ((rule.json || rule.form) && charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    return unsupported;
  if (length !== undefined && length > op.maxBodyBytes) {
    return {
      kind: 'verdict',
      verdict: respondProblem('too_large', 'PC_ERR_BODY_TOO_LARGE', { reason: 'declared length exceeds maxBodyBytes' }),
    };
  }
  return rule.json || rule.form ? { kind: 'parsed', rule } : { kind: 'none' };
}

function responseRuleFor(op: CompiledOperation, head: ResponseHead): MediaRule | undefined {
  const rules = responseRules(op.responses, head.status);
  if (rules === undefined) return undefined;
  const contentType = head.headers['content-type'];
  if (typeof contentType !== 'string') return undefined;
  const rule = matchMedia(rules, contentType);
  if (rule?.validate === undefined) return undefined;
  const encoding = head.headers['content-encoding'];
  if (encoding !== undefined && encoding !== 'identity') return undefined;
  // Detect mode must not add buffering to streamed answers: only a declared, bounded length.
  const length = Number(head.headers['content-length']);
  return Number.isInteger(length) && length <= op.maxResponseBytes ? rule : undefined;
}

/**
 * A urlencoded form as an object for the schema: repeated fields only where the schema says
 * array (anything else given twice is parameter pollution), text typed by each field's schema.
 */
function readForm(
  bytes: Buffer,
  fields: NonNullable<MediaRule['form']>,
): { ok: true; value: unknown } | { ok: false; rule: string; location: string } {
  if (!isUtf8(bytes)) return { ok: false, rule: 'encoding', location: '' };
  const pairs = parseQuery(bytes.toString('utf8'));
  if (pairs === undefined) return { ok: false, rule: 'encoding', location: '' };
  const out: Record<string, unknown> = {};
  for (const [name, list] of pairs) {
    if (name === '__proto__' || name === 'constructor') return { ok: false, rule: 'forbiddenKey', location: '' };
    const field = fields.get(name);
    if (field?.array) out[name] = list.map((v) => coerce(v, field.types));
    else if (list.length > 1) return { ok: false, rule: 'duplicate', location: `/${escapePointerToken(name)}` };
    else out[name] = coerce(list[0]!, field?.types ?? []);
  }
  return { ok: true, value: out };
}
