import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { makeContext } from '../../../test/openapi/context.js';
import { loadPetstore } from '../../../test/openapi/petstore.js';
import type { ResponseHead } from '../../pipeline/context.js';
import type { Stage } from '../../pipeline/stage.js';
import { validatedJsonBody } from '../validate/index.js';
import { createTransformStage, rewriteQuery, UNTOUCHED_METRIC, untouchedCounter } from './index.js';
import { luhnValid, maskCardNumbers, maskDocument } from './mask.js';
import { parsePointer, removeAt, setAt } from './pointer.js';
import { type TransformRouteConfig, TransformRouteSchema } from './schema.js';

function make(config: TransformRouteConfig, registry = new Registry()): { stage: Stage; registry: Registry } {
  return { stage: createTransformStage(config, { route: 'r', untouched: untouchedCounter(registry) }), registry };
}

async function untouched(registry: Registry, reason: string): Promise<number> {
  const metric = await registry.getSingleMetric(UNTOUCHED_METRIC)!.get();
  return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe('transform: request', () => {
  test('headers are removed, renamed, then set (client values overwritten)', async () => {
    const { stage } = make({
      request: {
        headers: {
          remove: ['X-Debug'],
          rename: { 'X-Tenant': 'X-Upstream-Tenant' },
          add: { 'X-Gateway': 'portcullis', 'X-Debug': 'off' },
        },
      },
    });
    const ctx = makeContext({ headers: { 'x-debug': 'on', 'x-tenant': 'acme', 'x-gateway': 'spoofed' } });
    assert.equal((await stage.requestHead!(ctx)).kind, 'continue');
    assert.equal(ctx.upstreamHeaders['x-debug'], 'off');
    assert.equal(ctx.upstreamHeaders['x-tenant'], undefined);
    assert.equal(ctx.upstreamHeaders['x-upstream-tenant'], 'acme');
    assert.equal(ctx.upstreamHeaders['x-gateway'], 'portcullis');
  });

  test('query keys are removed and added without re-encoding the rest', async () => {
    const { stage } = make({ request: { query: { remove: ['debug'], add: { version: '2', 'a b': 'c&d' } } } });
    const ctx = makeContext({ query: 'q=caf%C3%A9+au+lait&debug=1&de%62ug=2&version=9' });
    await stage.requestHead!(ctx);
    assert.equal(ctx.upstreamQuery, 'q=caf%C3%A9+au+lait&version=2&a%20b=c%26d');
    assert.equal(rewriteQuery('', new Set(['x']), []), '');
  });

  test('path: strip and add prefixes at segment boundaries, or a template from params', async () => {
    const strip = make({ request: { path: { stripPrefix: '/api', addPrefix: '/v2' } } }).stage;
    for (const [from, to] of [
      ['/api/pets', '/v2/pets'],
      ['/api', '/v2/'],
      ['/apix/pets', '/v2/apix/pets'],
    ]) {
      const ctx = makeContext({ path: from });
      await strip.requestHead!(ctx);
      assert.equal(ctx.upstreamPath, to);
    }
    const template = make({ request: { path: { template: '/internal/pets/{petId}/view' } } }).stage;
    const ctx = makeContext({ path: '/pets/x', params: { petId: '../admin?x' } });
    await template.requestHead!(ctx);
    assert.equal(ctx.upstreamPath, '/internal/pets/..%2Fadmin%3Fx/view');
  });

  test('JSON body members set and removed by pointer; content-length follows', async () => {
    const { stage } = make({
      request: {
        body: { remove: ['/role', '/items/*/internal'], set: [{ pointer: '/meta/source', value: 'gateway' }] },
      },
    });
    const body = JSON.stringify({ name: 'a', role: 'admin', items: [{ id: 1, internal: true }, { id: 2 }] });
    const ctx = makeContext({ method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(stage.wantsRequestBody!(ctx), true);
    assert.equal((await stage.requestBody!(ctx)).kind, 'continue');
    assert.deepEqual(JSON.parse(ctx.requestBody!.toString()), {
      name: 'a',
      items: [{ id: 1 }, { id: 2 }],
      meta: { source: 'gateway' },
    });
    assert.equal(ctx.upstreamHeaders['content-length'], String(ctx.requestBody!.length));
  });

  test('a body with nothing to remove goes on byte for byte, not written again', async () => {
    const { stage } = make({ request: { body: { remove: ['/role', '/items/*/internal'] } } });
    const ctx = makeContext({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{ "name" : "a", "items": [{"id": 1}] }',
    });
    const sent = ctx.requestBody;
    const length = ctx.upstreamHeaders['content-length'];
    assert.equal((await stage.requestBody!(ctx)).kind, 'continue');
    assert.equal(ctx.requestBody, sent);
    assert.equal(ctx.upstreamHeaders['content-length'], length);
  });

  test('edits the document the validate stage accepted instead of parsing the body again', async () => {
    const validate = (await loadPetstore()).stages.get('createPet')!;
    const body = JSON.stringify({ name: 'Rex', species: 'dog', vaccinated: true });
    const ctx = makeContext({
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
      body,
    });
    assert.equal((await validate.requestHead!(ctx)).kind, 'continue');
    assert.equal((await validate.requestBody!(ctx)).kind, 'continue');
    const validated = validatedJsonBody(ctx, ctx.requestBody!);
    assert.ok(validated);
    // Another buffer (a body rewritten since) is not taken for the validated one.
    assert.equal(validatedJsonBody(ctx, Buffer.from(body)), undefined);
    const { stage } = make({ request: { body: { remove: ['/vaccinated'] } } });
    assert.equal((await stage.requestBody!(ctx)).kind, 'continue');
    assert.deepEqual(validated.value, { name: 'Rex', species: 'dog' });
    assert.deepEqual(JSON.parse(ctx.requestBody!.toString()), { name: 'Rex', species: 'dog' });
  });

  test('the body is asked for only when body edits are configured and it is JSON', () => {
    const headersOnly = make({ request: { headers: { remove: ['x'] } } }).stage;
    assert.equal(headersOnly.wantsRequestBody, undefined);
    const { stage } = make({ request: { body: { remove: ['/a'] } } });
    assert.equal(stage.wantsRequestBody!(makeContext({ headers: { 'content-type': 'text/plain' } })), false);
  });

  test('an unparseable body is refused rather than forwarded unedited', async () => {
    const { stage } = make({ request: { body: { remove: ['/isAdmin'] } } });
    const ctx = makeContext({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"isAdmin":true,"isAdmin":false}',
    });
    const verdict = await stage.requestBody!(ctx);
    assert.equal(verdict.kind, 'respond');
  });
});

describe('transform: response', () => {
  const config: TransformRouteConfig = {
    response: {
      headers: { remove: ['Server', 'X-Powered-By'], add: { 'Cache-Control': 'no-store' } },
      body: {
        removeKeys: ['passwordHash'],
        maskKeys: ['password', 'SSN'],
        maskCardNumbers: true,
        remove: ['/debug'],
        maxBytes: 4096,
      },
    },
  };

  async function answer(stage: Stage, body: string, headers: Record<string, string> = {}) {
    const ctx = makeContext();
    await stage.requestHead!(ctx);
    const head: ResponseHead = {
      status: 200,
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        etag: '"abc"',
        ...headers,
      },
    };
    await stage.responseHead?.(ctx, head);
    if (!stage.wantsResponseBody!(ctx, head)) return { ctx, head, body: undefined };
    ctx.responseBody = Buffer.from(body);
    assert.equal((await stage.responseBody!(ctx, head)).kind, 'continue');
    return { ctx, head, body: ctx.responseBody.toString() };
  }

  test('keys are removed or masked at any depth; card numbers are masked; headers follow', async () => {
    const { stage } = make(config);
    const doc = {
      user: { name: 'Ann', password: 'hunter2', Ssn: '078-05-1120', passwordHash: '$argon2id$...' },
      payments: [{ card: '4111 1111 1111 1111', note: 'paid with 5500-0000-0000-0004 ok' }, { card: 4111111111111111 }],
      orderId: '1234567890123',
      debug: { sql: 'select 1' },
    };
    const { body, head, ctx } = await answer(stage, JSON.stringify(doc), { server: 'nginx', 'x-powered-by': 'PHP' });
    assert.deepEqual(JSON.parse(body!), {
      user: { name: 'Ann', password: '****', Ssn: '****' },
      payments: [
        { card: '**** **** **** 1111', note: 'paid with ****-****-****-0004 ok' },
        { card: '************1111' },
      ],
      orderId: '1234567890123',
    });
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(body!)));
    assert.equal(head.headers.etag, undefined);
    assert.equal(head.headers.server, undefined);
    assert.equal(head.headers['x-powered-by'], undefined);
    assert.equal(head.headers['cache-control'], 'no-store');
    assert.equal(ctx.upstreamHeaders['accept-encoding'], 'identity');
  });

  test('past the cap, compressed or not JSON: untouched and counted', async () => {
    const { stage, registry } = make(config);
    const big = JSON.stringify({ password: 'x'.repeat(5000) });
    assert.equal((await answer(stage, big)).body, undefined);
    assert.equal(await untouched(registry, 'too_large'), 1);
    assert.equal((await answer(stage, '{"password":"x"}', { 'content-encoding': 'gzip' })).body, undefined);
    assert.equal(await untouched(registry, 'encoded'), 1);
    assert.equal((await answer(stage, 'not json {', {})).body, 'not json {');
    assert.equal(await untouched(registry, 'not_json'), 1);
  });

  test('chunked answers (no length) are asked for and capped after buffering', async () => {
    const { stage, registry } = make(config);
    const ctx = makeContext();
    const head: ResponseHead = {
      status: 200,
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    };
    assert.equal(stage.wantsResponseBody!(ctx, head), true);
    ctx.responseBody = Buffer.from(JSON.stringify({ password: 'y'.repeat(5000) }));
    await stage.responseBody!(ctx, head);
    assert.ok(ctx.responseBody.toString().includes('yyyy'));
    assert.equal(await untouched(registry, 'too_large'), 1);
  });

  test('a "__proto__" member in an answer does not pollute prototypes', async () => {
    const { stage } = make(config);
    const { body } = await answer(stage, '{"__proto__":{"card":"4111111111111111"},"a":1}');
    assert.deepEqual(JSON.parse(body!), { ['__proto__']: { card: '************1111' }, a: 1 });
    assert.equal(({} as Record<string, unknown>).card, undefined);
  });

  test('deeply nested answers never crash and are never sent unmasked', async () => {
    const { stage } = make(config);
    const deep = `${'['.repeat(50_000)}{"password":"p"}${']'.repeat(50_000)}`;
    const { body } = await answer(stage, deep, { 'content-length': String(deep.length) });
    assert.equal(body, undefined, 'over the 4096-byte cap');
    const { stage: roomy, registry } = make({ response: { body: { maskKeys: ['password'], maxBytes: 1_000_000 } } });
    const ctx = makeContext();
    const head: ResponseHead = { status: 200, headers: { 'content-type': 'application/json' } };
    assert.equal(roomy.wantsResponseBody!(ctx, head), true);
    ctx.responseBody = Buffer.from(deep);
    const verdict = await roomy.responseBody!(ctx, head);
    assert.equal(
      verdict.kind === 'respond' && verdict.response.kind === 'problem' && verdict.response.code,
      'PC_ERR_UPSTREAM_BAD_RESPONSE',
    );
    assert.equal(await untouched(registry, 'unprocessable'), 1);
    const shallow = await answer(roomy, `${'['.repeat(500)}{"password":"p"}${']'.repeat(500)}`);
    assert.ok(shallow.body!.includes('"****"'));
  });
});

describe('transform: configuration schema', () => {
  test('header names must be tokens and values free of CR/LF; pointers must be pointers', () => {
    assert.equal(
      Value.Check(TransformRouteSchema, { request: { headers: { add: { 'X-Ok': 'v' }, rename: { a: 'b' } } } }),
      true,
    );
    assert.equal(Value.Check(TransformRouteSchema, { request: { headers: { add: { 'X Bad': 'v' } } } }), false);
    assert.equal(
      Value.Check(TransformRouteSchema, { response: { headers: { add: { 'X-Ok': 'a\r\nInjected: 1' } } } }),
      false,
    );
    assert.equal(Value.Check(TransformRouteSchema, { request: { headers: { rename: { a: 'b c' } } } }), false);
    assert.equal(Value.Check(TransformRouteSchema, { request: { body: { remove: ['role'] } } }), false);
    assert.equal(
      Value.Check(TransformRouteSchema, { response: { body: { maskKeys: ['password'], maxBytes: 0 } } }),
      false,
    );
  });
});

describe('transform: helpers', () => {
  test('Luhn check and masking', () => {
    assert.equal(luhnValid('4111111111111111'), true);
    assert.equal(luhnValid('4111111111111112'), false);
    assert.equal(maskCardNumbers('4111111111111112 is not a card'), '4111111111111112 is not a card');
    assert.equal(maskCardNumbers('call 0044 20 7946 0958'), 'call 0044 20 7946 0958');
  });

  test('any Luhn-valid 13-19 digit number is masked to its last four digits', () => {
    const luhnDigits = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 12, maxLength: 18 }).map((ds) => {
      const body = ds.join('');
      for (let check = 0; check <= 9; check++) if (luhnValid(body + check)) return body + check;
      throw new Error('unreachable');
    });
    fc.assert(
      fc.property(luhnDigits, (pan) => {
        const masked = maskCardNumbers(`pan ${pan} end`);
        assert.equal(masked, `pan ${'*'.repeat(pan.length - 4)}${pan.slice(-4)} end`);
      }),
    );
  });

  test('after masking, no listed key anywhere keeps its value and no card number survives', () => {
    const rules = { removeKeys: new Set(['ssn']), maskKeys: new Set(['password']), maskCards: true, mask: '****' };
    const withSecrets = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 1 }),
        fc.constant('card 4111-1111-1111-1111'),
        fc.dictionary(fc.constantFrom('password', 'Password', 'SSN', 'ssn', 'name', 'x'), tie('node'), { maxKeys: 4 }),
        fc.array(tie('node'), { maxLength: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(withSecrets, (doc) => {
        const { value } = maskDocument(structuredClone(doc), rules);
        const text = JSON.stringify(value);
        assert.ok(!text.includes('4111-1111-1111-1111'));
        const check = (v: unknown): void => {
          if (Array.isArray(v)) v.forEach(check);
          else if (v !== null && typeof v === 'object') {
            for (const [k, inner] of Object.entries(v)) {
              assert.notEqual(k.toLowerCase(), 'ssn');
              if (k.toLowerCase() === 'password') assert.equal(inner, '****');
              else check(inner);
            }
          }
        };
        check(value);
      }),
      { numRuns: 300 },
    );
  });

  test('pointers: set creates parents, remove ignores what is absent, __proto__ is refused', () => {
    const doc: Record<string, unknown> = { a: [1, 2, 3] };
    setAt(doc, parsePointer('/b/c'), 1);
    setAt(doc, parsePointer('/a/-'), 4);
    setAt(doc, parsePointer('/__proto__/polluted'), true);
    removeAt(doc, parsePointer('/a/0'));
    removeAt(doc, parsePointer('/x/y'));
    assert.deepEqual(doc, { a: [2, 3, 4], b: { c: 1 } });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(parsePointer('/a~1b/c~0d'), ['a/b', 'c~d']);
  });
});
