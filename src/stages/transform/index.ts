/**
 * The transform stage: rewrites what goes to the upstream and what comes back.
 *
 *   requestHead   headers add/remove/rename, query add/remove, path rewrite (ctx.upstreamPath)
 *   requestBody   JSON members set/removed by pointer (the body is asked for only when configured)
 *   responseHead  headers add/remove
 *   responseBody  JSON members removed or masked, card numbers masked, up to a size cap
 *
 * Past the cap, or when the answer is compressed or not JSON, the body streams untouched and
 * `portcullis_transform_response_untouched_total{route,reason}` counts it.
 */
import { Counter, type Registry } from 'prom-client';
import { isJsonMediaType, parseStrictJsonBytes } from '../../openapi/json.js';
import type { HeaderMap, RequestContext, ResponseHead } from '../../pipeline/context.js';
import { CONTINUE, respondProblem, type Stage } from '../../pipeline/stage.js';
import type { StageDefinition } from '../definition.js';
import { validatedJsonBody } from '../validate/index.js';
import { type MaskRules, maskDocument } from './mask.js';
import { parsePointer, removeAt, setAt } from './pointer.js';
import { type TransformRouteConfig, TransformRouteSchema } from './schema.js';

export const DEFAULT_MAX_RESPONSE_BYTES = 1_048_576;
export const UNTOUCHED_METRIC = 'portcullis_transform_response_untouched_total';

export type UntouchedReason = 'too_large' | 'encoded' | 'not_json' | 'unprocessable';

interface TransformShared {
  readonly untouched: Counter<'route' | 'reason'>;
}

export const transformStageDefinition: StageDefinition<undefined, TransformRouteConfig, TransformShared> = {
  name: 'transform',
  route: { key: 'transform', schema: TransformRouteSchema },
  async setup(_global, services) {
    return { untouched: untouchedCounter(services.metrics) };
  },
  create(route, shared) {
    if (route.settings === undefined) return undefined;
    return createTransformStage(route.settings, { route: route.name, untouched: shared.untouched });
  },
};

/** One counter per registry, so a configuration reload reuses it. */
export function untouchedCounter(registry: Registry): Counter<'route' | 'reason'> {
  const existing = registry.getSingleMetric(UNTOUCHED_METRIC);
  if (existing) return existing as Counter<'route' | 'reason'>;
  return new Counter({
    name: UNTOUCHED_METRIC,
    help: 'Responses whose body the transform stage did not rewrite: too_large, encoded, not_json (passed untouched), unprocessable (refused with 502)',
    labelNames: ['route', 'reason'],
    registers: [registry],
  });
}

export interface TransformOptions {
  readonly route: string;
  readonly untouched: Counter<'route' | 'reason'>;
}

export function createTransformStage(config: TransformRouteConfig, options: TransformOptions): Stage {
  const request = config.request ?? {};
  const response = config.response ?? {};
  const headerOps = compileHeaderOps(request.headers);
  const queryAdd = Object.entries(request.query?.add ?? {});
  const queryRemove = new Set(request.query?.remove ?? []);
  const path = request.path;
  const bodySet = (request.body?.set ?? []).map((op) => ({ tokens: parsePointer(op.pointer), value: op.value }));
  const bodyRemove = (request.body?.remove ?? []).map(parsePointer);
  const responseHeaderOps = compileHeaderOps(response.headers);
  const rb = response.body;
  const mask: MaskRules | undefined = rb
    ? {
        removeKeys: new Set((rb.removeKeys ?? []).map((k) => k.toLowerCase())),
        maskKeys: new Set((rb.maskKeys ?? []).map((k) => k.toLowerCase())),
        maskCards: rb.maskCardNumbers === true,
        mask: rb.mask ?? '****',
      }
    : undefined;
  const responseRemove = (rb?.remove ?? []).map(parsePointer);
  const maxBytes = rb?.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const skip = (reason: UntouchedReason) => options.untouched.inc({ route: options.route, reason });

  const stage: Stage = {
    name: 'transform',
    requestHead(ctx) {
      applyHeaderOps(ctx.upstreamHeaders, headerOps);
      // Masking needs the plain text of the answer, so the upstream must not compress it.
      if (rb) ctx.upstreamHeaders['accept-encoding'] = 'identity';
      if (queryAdd.length > 0 || queryRemove.size > 0)
        ctx.upstreamQuery = rewriteQuery(ctx.upstreamQuery, queryRemove, queryAdd);
      if (path) ctx.upstreamPath = rewritePath(ctx, path);
      return CONTINUE;
    },
  };

  if (bodySet.length > 0 || bodyRemove.length > 0) {
    stage.wantsRequestBody = (ctx) => {
      const type = ctx.headers['content-type'];
      return typeof type === 'string' && isJsonMediaType(type);
    };
    stage.requestBody = (ctx) => {
      const bytes = ctx.requestBody;
      if (bytes === undefined || bytes.length === 0) return CONTINUE;
      // The document the validate stage parsed from these same bytes, else a parse of our own.
      const parsed = validatedJsonBody(ctx, bytes) ?? parseStrictJsonBytes(bytes);
      // Forwarding the body unedited could defeat the edit's purpose (a removed privilege flag).
      if (!parsed.ok)
        return respondProblem('bad_request', 'PC_ERR_BAD_REQUEST', { reason: `transform: body JSON ${parsed.rule}` });
      let doc = parsed.value;
      let changed = false;
      for (const tokens of bodyRemove) changed = removeAt(doc, tokens) || changed;
      // Nothing to remove and nothing to set: the client's bytes go on as they came.
      if (!changed && bodySet.length === 0) return CONTINUE;
      for (const op of bodySet) doc = setAt(doc, op.tokens, op.value);
      const out = Buffer.from(JSON.stringify(doc));
      ctx.requestBody = out;
      ctx.upstreamHeaders['content-length'] = String(out.length);
      delete ctx.upstreamHeaders['transfer-encoding'];
      return CONTINUE;
    };
  }

  if (responseHeaderOps.length > 0) {
    stage.responseHead = (_ctx, head) => {
      applyHeaderOps(head.headers, responseHeaderOps);
      return CONTINUE;
    };
  }

  if (mask) {
    stage.wantsResponseBody = (_ctx, head) => {
      const type = head.headers['content-type'];
      if (typeof type !== 'string' || !isJsonMediaType(type)) return false;
      const encoding = head.headers['content-encoding'];
      if (encoding !== undefined && encoding !== 'identity') {
        skip('encoded');
        return false;
      }
      const length = head.headers['content-length'];
      if (length !== undefined && Number(length) > maxBytes) {
        skip('too_large');
        return false;
      }
      // Unknown length (chunked): ask for the body; the runner buffers up to the route's
      // response limit and responseBody re-checks this stage's own cap.
      return true;
    };
    stage.responseBody = (ctx, head) => {
      const body = ctx.responseBody;
      if (body === undefined) return CONTINUE;
      if (body.length > maxBytes) {
        skip('too_large');
        return CONTINUE;
      }
      let doc: unknown;
      try {
        doc = JSON.parse(body.toString('utf8'));
      } catch {
        skip('not_json');
        return CONTINUE;
      }
      for (const tokens of responseRemove) removeAt(doc, tokens);
      const { value } = maskDocument(doc, mask);
      let text: string;
      try {
        text = JSON.stringify(value);
      } catch {
        // Nesting too deep to write back. Sending the unmasked original would defeat the
        // control, so the answer is refused (fail closed, ASVS 16.5.3).
        skip('unprocessable');
        return respondProblem('upstream_error', 'PC_ERR_UPSTREAM_BAD_RESPONSE', {
          reason: 'transform: answer too deeply nested to mask',
        });
      }
      replaceResponseBody(ctx, head, Buffer.from(text));
      return CONTINUE;
    };
  }
  return stage;
}

type HeaderOp =
  | { readonly kind: 'remove'; readonly name: string }
  | { readonly kind: 'rename'; readonly from: string; readonly to: string }
  | { readonly kind: 'set'; readonly name: string; readonly value: string };

/** Removals, then renames, then additions: an added header is never removed by the same rule set. */
function compileHeaderOps(
  config: { add?: Record<string, string>; remove?: string[]; rename?: Record<string, string> } | undefined,
): HeaderOp[] {
  if (!config) return [];
  const ops: HeaderOp[] = [];
  for (const name of config.remove ?? []) ops.push({ kind: 'remove', name: name.toLowerCase() });
  for (const [from, to] of Object.entries(config.rename ?? {}))
    ops.push({ kind: 'rename', from: from.toLowerCase(), to: to.toLowerCase() });
  for (const [name, value] of Object.entries(config.add ?? {}))
    ops.push({ kind: 'set', name: name.toLowerCase(), value });
  return ops;
}

function applyHeaderOps(headers: HeaderMap, ops: readonly HeaderOp[]): void {
  for (const op of ops) {
    if (op.kind === 'remove') delete headers[op.name];
    else if (op.kind === 'set') headers[op.name] = op.value;
    else if (headers[op.from] !== undefined) {
      headers[op.to] = headers[op.from];
      delete headers[op.from];
    }
  }
}

/** Edits the raw query without re-encoding the pairs it keeps. */
export function rewriteQuery(query: string, remove: ReadonlySet<string>, add: readonly [string, string][]): string {
  const drop = new Set([...remove, ...add.map(([k]) => k)]);
  const kept = query === '' ? [] : query.split('&').filter((pair) => pair !== '' && !drop.has(decodeKey(pair)));
  for (const [k, v] of add) kept.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return kept.join('&');
}

function decodeKey(pair: string): string {
  const eq = pair.indexOf('=');
  const raw = (eq < 0 ? pair : pair.slice(0, eq)).replaceAll('+', ' ');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function rewritePath(
  ctx: RequestContext,
  rule: NonNullable<NonNullable<TransformRouteConfig['request']>['path']>,
): string {
  if (rule.template !== undefined) {
    return rule.template.replace(/\{([A-Za-z0-9_]+)\}/g, (_m, name: string) =>
      encodeURIComponent(ctx.params[name] ?? ''),
    );
  }
  let path = ctx.upstreamPath;
  const strip = rule.stripPrefix?.replace(/\/$/, '');
  // Only at a segment boundary: /api strips /api/x and /api, never /apix.
  if (strip && (path === strip || path.startsWith(`${strip}/`))) path = path.slice(strip.length) || '/';
  if (rule.addPrefix !== undefined) path = rule.addPrefix.replace(/\/$/, '') + path;
  return path;
}

function replaceResponseBody(ctx: RequestContext, head: ResponseHead, body: Buffer): void {
  ctx.responseBody = body;
  head.headers['content-length'] = String(body.length);
  delete head.headers['transfer-encoding'];
  // RFC 9110 §8.8.3: the validator described the unmodified representation.
  delete head.headers.etag;
  delete head.headers['content-md5'];
}
