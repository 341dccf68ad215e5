import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { type ContextInit, makeContext } from '../../../test/openapi/context.js';
import { type LoadedPetstore, loadPetstore, testServices } from '../../../test/openapi/petstore.js';
import { ConfigError } from '../../config/errors.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { Stage, Verdict } from '../../pipeline/stage.js';
import { validateStageDefinition, WAF_HINTS, type WafHints } from './index.js';
import type { ValidationRouteConfig } from './schema.js';

let pets: LoadedPetstore;
let detect: LoadedPetstore;
before(async () => {
  pets = await loadPetstore();
  detect = await loadPetstore({ validateResponses: 'detect' });
});

async function run(stage: Stage, ctx: RequestContext): Promise<Verdict> {
  const head = await stage.requestHead!(ctx);
  if (head.kind !== 'continue') return head;
  if (stage.wantsRequestBody?.(ctx) && stage.requestBody) return stage.requestBody(ctx);
  return head;
}

async function check(
  operation: string,
  init: ContextInit,
  loaded = pets,
): Promise<{ verdict: Verdict; ctx: RequestContext }> {
  const stage = loaded.stages.get(operation);
  assert.ok(stage, `no stage for ${operation}`);
  const ctx = makeContext(init);
  return { verdict: await run(stage, ctx), ctx };
}

function problem(verdict: Verdict): {
  status: number | undefined;
  code: string;
  errors: readonly { location: string; rule: string }[];
} {
  assert.equal(verdict.kind, 'respond', 'expected the request to be refused');
  if (verdict.kind !== 'respond' || verdict.response.kind !== 'problem') throw new Error('not a problem response');
  return { status: verdict.response.status, code: verdict.response.code, errors: verdict.response.errors ?? [] };
}

function assertRefused(verdict: Verdict, location: string, rule: string): void {
  const p = problem(verdict);
  assert.equal(p.code, 'PC_ERR_VALIDATION');
  assert.ok(
    p.errors.some((e) => e.location === location && e.rule === rule),
    `expected ${location} ${rule}, got ${JSON.stringify(p.errors)}`,
  );
}

const json = { 'content-type': 'application/json' };
const PET_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const validPet = {
  name: "Rex O'Malley",
  species: 'dog',
  birthDate: '2019-04-01',
  weightKg: 31.5,
  vaccinated: true,
  description: 'Good boy; likes <b>walks</b> & SELECT-ing sticks.',
  tags: [{ id: 3, name: 'friendly' }],
  owner: { name: 'Zoë Smith', email: 'zoe@example.com', phone: '+441234567890' },
  status: 'available',
};

describe('validate: query, path, header and cookie parameters', () => {
  test('a well-formed list request passes', async () => {
    const { verdict } = await check('listPets', {
      path: '/pets',
      query: 'limit=10&status=available&status=sold&tags=a,b&q=red+dog',
    });
    assert.equal(verdict.kind, 'continue');
  });

  test('types, bounds and enums are enforced with JSON-pointer locations', async () => {
    assertRefused((await check('listPets', { query: 'limit=abc' })).verdict, '/query/limit', 'type');
    assertRefused((await check('listPets', { query: 'limit=0' })).verdict, '/query/limit', 'minimum');
    assertRefused((await check('listPets', { query: 'limit=1.5' })).verdict, '/query/limit', 'type');
    assertRefused((await check('listPets', { query: 'status=lost' })).verdict, '/query/status/0', 'enum');
    assertRefused(
      (await check('listPets', { query: 'status=a&status=b&status=c&status=d' })).verdict,
      '/query/status',
      'maxItems',
    );
  });

  test('a single-valued parameter given twice is refused (parameter pollution)', async () => {
    assertRefused((await check('listPets', { query: 'limit=1&limit=2' })).verdict, '/query/limit', 'duplicate');
  });

  test('unknown query parameters are refused by default, without naming them', async () => {
    const { verdict } = await check('listPets', { query: 'limit=5&%3Cscript%3E=1' });
    const p = problem(verdict);
    assert.deepEqual(p.errors, [{ location: '/query', rule: 'additionalProperties' }]);
    const allowed = await loadPetstore({ unknownQuery: 'allow' });
    assert.equal((await check('listPets', { query: 'limit=5&debug=1' }, allowed)).verdict.kind, 'continue');
  });

  test('a malformed percent-escape is a 400, not a crash', async () => {
    assertRefused((await check('listPets', { query: 'q=%E0%A4%A' })).verdict, '/query', 'encoding');
  });

  test('path parameters are checked against their format', async () => {
    assert.equal((await check('getPet', { params: { petId: PET_ID } })).verdict.kind, 'continue');
    assertRefused((await check('getPet', { params: { petId: "1' OR '1'='1" } })).verdict, '/path/petId', 'format');
  });

  test('header parameters: required and format', async () => {
    const order = { petId: PET_ID, quantity: 1, shipTo: { street: '1 Main St', city: 'Leeds', country: 'GB' } };
    const body = JSON.stringify(order);
    assertRefused(
      (await check('placeOrder', { method: 'POST', headers: json, body })).verdict,
      '/header/Idempotency-Key',
      'required',
    );
    const headers: IncomingHttpHeaders = { ...json, 'idempotency-key': PET_ID };
    assert.equal((await check('placeOrder', { method: 'POST', headers, body })).verdict.kind, 'continue');
    assertRefused(
      (await check('listPets', { headers: { 'x-request-deadline': 'tomorrow' } })).verdict,
      '/header/X-Request-Deadline',
      'format',
    );
  });

  test('cookie parameters: pattern and duplicates', async () => {
    const order = JSON.stringify({ petId: PET_ID, quantity: 2, shipTo: { street: 'a', city: 'b', country: 'FR' } });
    const base = { ...json, 'idempotency-key': PET_ID };
    const ok = await check('placeOrder', {
      method: 'POST',
      headers: { ...base, cookie: 'session=abcdefghijklmnop1234' },
      body: order,
    });
    assert.equal(ok.verdict.kind, 'continue');
    const bad = await check('placeOrder', {
      method: 'POST',
      headers: { ...base, cookie: 'session=short' },
      body: order,
    });
    assertRefused(bad.verdict, '/cookie/session', 'pattern');
    const twice = await check('placeOrder', {
      method: 'POST',
      headers: { ...base, cookie: 'session=abcdefghijklmnop1234; session=zzzzzzzzzzzzzzzzzzzz' },
      body: order,
    });
    assertRefused(twice.verdict, '/cookie/session', 'duplicate');
  });

  test('deepObject query parameters', async () => {
    const ok = await check('searchPets', { query: 'filter[species]=cat&filter[minAge]=2&filter[name]=Tom' });
    assert.equal(ok.verdict.kind, 'continue');
    assertRefused(
      (await check('searchPets', { query: 'filter[species]=cow' })).verdict,
      '/query/filter/species',
      'enum',
    );
    assertRefused(
      (await check('searchPets', { query: 'filter[colour]=red' })).verdict,
      '/query/filter',
      'additionalProperties',
    );
  });
});

describe('validate: request bodies', () => {
  test('a valid nested body passes', async () => {
    const { verdict } = await check('createPet', { method: 'POST', headers: json, body: JSON.stringify(validPet) });
    assert.equal(verdict.kind, 'continue');
  });

  test('schema failures name every location and rule', async () => {
    const body = JSON.stringify({
      ...validPet,
      name: undefined,
      weightKg: 0,
      owner: { name: 'A', email: 'not-an-email' },
      tags: [{ name: 'x'.repeat(41) }],
    });
    const p = problem((await check('createPet', { method: 'POST', headers: json, body })).verdict);
    assert.equal(p.code, 'PC_ERR_VALIDATION');
    const got = new Set(p.errors.map((e) => `${e.location} ${e.rule}`));
    for (const want of [
      '/body/name required',
      '/body/weightKg exclusiveMinimum',
      '/body/owner/email format',
      '/body/tags/0/name maxLength',
    ]) {
      assert.ok(got.has(want), `missing ${want} in ${[...got].join(', ')}`);
    }
  });

  test('readOnly properties and unknown properties are refused in requests (mass assignment)', async () => {
    const withId = JSON.stringify({ ...validPet, id: PET_ID });
    assertRefused(
      (await check('createPet', { method: 'POST', headers: json, body: withId })).verdict,
      '/body',
      'additionalProperties',
    );
    const withRole = JSON.stringify({ ...validPet, owner: { ...validPet.owner, role: 'admin' } });
    assertRefused(
      (await check('createPet', { method: 'POST', headers: json, body: withRole })).verdict,
      '/body/owner',
      'additionalProperties',
    );
    const open = await loadPetstore({ unknownBodyProperties: 'allow' });
    assert.equal(
      (await check('createPet', { method: 'POST', headers: json, body: withRole }, open)).verdict.kind,
      'continue',
    );
  });

  test('nullable (OpenAPI 3.0) accepts null only where declared', async () => {
    const ok = JSON.stringify({ ...validPet, description: null });
    assert.equal((await check('createPet', { method: 'POST', headers: json, body: ok })).verdict.kind, 'continue');
    const bad = JSON.stringify({ ...validPet, name: null });
    assertRefused(
      (await check('createPet', { method: 'POST', headers: json, body: bad })).verdict,
      '/body/name',
      'type',
    );
  });

  test('duplicate keys and prototype keys are refused before the schema', async () => {
    const dup = '{"name":"a","species":"dog","species":"cat"}';
    assertRefused(
      (await check('createPet', { method: 'POST', headers: json, body: dup })).verdict,
      '/body',
      'duplicateKey',
    );
    const proto = '{"name":"a","species":"dog","owner":{"__proto__":{"admin":true}}}';
    assertRefused(
      (await check('createPet', { method: 'POST', headers: json, body: proto })).verdict,
      '/body/owner',
      'forbiddenKey',
    );
    assertRefused(
      (await check('createPet', { method: 'POST', headers: json, body: '{"name":' })).verdict,
      '/body/name',
      'syntax',
    );
    const odd = '{"<b>":{"x":}}';
    assertRefused(
      (await check('createPet', { method: 'POST', headers: json, body: odd })).verdict,
      '/body/*/x',
      'syntax',
    );
  });

  test('content type is enforced (415) and charset must be UTF-8', async () => {
    const body = JSON.stringify(validPet);
    for (const type of ['text/xml', 'application/x-www-form-urlencoded', 'application/json; charset=iso-8859-1']) {
      const p = problem(
        (await check('createPet', { method: 'POST', headers: { 'content-type': type }, body })).verdict,
      );
      assert.equal(p.code, 'PC_ERR_UNSUPPORTED_MEDIA_TYPE', type);
    }
    const noType = problem((await check('createPet', { method: 'POST', body })).verdict);
    assert.equal(noType.code, 'PC_ERR_UNSUPPORTED_MEDIA_TYPE');
    const upper = await check('createPet', {
      method: 'POST',
      headers: { 'content-type': 'Application/JSON; charset=UTF-8' },
      body,
    });
    assert.equal(upper.verdict.kind, 'continue');
  });

  test('a body where none is described is 415; a media range matches', async () => {
    const p = problem((await check('getPet', { params: { petId: PET_ID }, headers: json, body: '{}' })).verdict);
    assert.equal(p.code, 'PC_ERR_UNSUPPORTED_MEDIA_TYPE');
    const photo = await check('uploadPhoto', {
      method: 'POST',
      params: { petId: PET_ID },
      headers: { 'content-type': 'image/png' },
      body: 'PNG',
    });
    assert.equal(photo.verdict.kind, 'continue');
    const merge = await check('updatePet', {
      method: 'PATCH',
      params: { petId: PET_ID },
      headers: { 'content-type': 'application/merge-patch+json' },
      body: '{}',
    });
    assertRefused(merge.verdict, '/body', 'minProperties');
  });

  test('a required body that is absent is refused', async () => {
    assertRefused((await check('createPet', { method: 'POST', headers: json })).verdict, '/body', 'required');
  });

  test('a declared length above the limit is 413 before the body is read', async () => {
    const stage = pets.stages.get('createPet')!;
    const ctx = makeContext({ method: 'POST', headers: { ...json, 'content-length': String(2 * 1024 * 1024) } });
    const p = problem(await stage.requestHead!(ctx));
    assert.equal(p.code, 'PC_ERR_BODY_TOO_LARGE');
  });

  test('problem items never echo the input', async () => {
    const attack = '<script>alert(1)</script>';
    const body = JSON.stringify({ ...validPet, [attack]: attack, species: attack, tags: [{ name: attack.repeat(3) }] });
    const p = problem((await check('createPet', { method: 'POST', headers: json, body })).verdict);
    assert.ok(p.errors.length > 0);
    assert.ok(!JSON.stringify(p.errors).includes('script'));
  });
});

describe('validate: urlencoded forms', () => {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const adopt = (body: string) =>
    check('requestAdoption', { method: 'POST', params: { petId: PET_ID }, headers: form, body });

  test('a valid form passes; repeated fields only where the schema says array', async () => {
    const ok = await adopt(
      'adopterName=Siobhan+O%27Connor&homeType=flat&otherPets=2&visitDates=2026-12-01&visitDates=2026-12-02&agreed=true',
    );
    assert.equal(ok.verdict.kind, 'continue');
    assert.deepEqual([...(ok.ctx.state.get(WAF_HINTS) as WafHints).body].sort(), [
      '/agreed',
      '/homeType',
      '/otherPets',
      '/visitDates/0',
      '/visitDates/1',
    ]);
    assertRefused(
      (await adopt('adopterName=a&adopterName=b&homeType=flat&agreed=true')).verdict,
      '/body/adopterName',
      'duplicate',
    );
  });

  test('types, enums, required and unknown fields', async () => {
    const p = problem((await adopt('adopterName=&homeType=castle&otherPets=many&agreed=false&isAdmin=1')).verdict);
    const got = new Set(p.errors.map((e) => `${e.location} ${e.rule}`));
    for (const want of [
      '/body/adopterName minLength',
      '/body/homeType enum',
      '/body/otherPets type',
      '/body/agreed const',
      '/body additionalProperties',
    ]) {
      assert.ok(got.has(want), `missing ${want} in ${[...got].join(', ')}`);
    }
    assertRefused((await adopt('homeType=flat&agreed=true')).verdict, '/body/adopterName', 'required');
    assertRefused((await adopt('adopterName=%E0%A4%A')).verdict, '/body', 'encoding');
    assertRefused((await adopt('__proto__=1')).verdict, '/body', 'forbiddenKey');
  });
});

describe('validate: WAF hints', () => {
  test('pinned values are listed, free text is not', async () => {
    const { verdict, ctx } = await check('createPet', {
      method: 'POST',
      headers: json,
      body: JSON.stringify(validPet),
    });
    assert.equal(verdict.kind, 'continue');
    const hints = ctx.state.get(WAF_HINTS) as WafHints;
    assert.deepEqual(
      [...hints.body].sort(),
      ['/birthDate', '/owner/phone', '/species', '/status', '/tags/0/id', '/vaccinated', '/weightKg'].sort(),
    );
  });

  test('query and deepObject names', async () => {
    const list = await check('listPets', { query: 'limit=3&q=x' });
    const hints = list.ctx.state.get(WAF_HINTS) as WafHints;
    assert.deepEqual([...hints.query].sort(), ['limit', 'status']);
    assert.deepEqual([...hints.headers], ['x-request-deadline']);
    const search = await check('searchPets', { query: 'filter[name]=x' });
    assert.deepEqual([...(search.ctx.state.get(WAF_HINTS) as WafHints).query].sort(), [
      'filter[minAge]',
      'filter[species]',
    ]);
  });

  test('no hints for a refused request', async () => {
    const { ctx } = await check('listPets', { query: 'limit=x' });
    assert.equal(ctx.state.has(WAF_HINTS), false);
  });
});

describe('validate: responses in detect mode', () => {
  async function respond(operation: string, status: number, body: unknown, headers: Record<string, string> = {}) {
    const stage = detect.stages.get(operation)!;
    const ctx = makeContext({ params: { petId: PET_ID } });
    const text = Buffer.from(JSON.stringify(body));
    const head = {
      status,
      headers: { 'content-type': 'application/json', 'content-length': String(text.length), ...headers },
    };
    assert.equal((await stage.responseHead!(ctx, head)).kind, 'continue');
    if (stage.wantsResponseBody!(ctx, head)) {
      ctx.responseBody = text;
      assert.equal((await stage.responseBody!(ctx, head)).kind, 'continue', 'detect mode never blocks');
    }
    return ctx.logFields.responseValidation as { location: string; rule: string }[] | undefined;
  }

  test('a conforming answer logs nothing; a leaking field is logged', async () => {
    const pet = { ...validPet, id: PET_ID, status: 'sold', createdAt: '2024-01-01T10:00:00Z' };
    assert.equal(await respond('getPet', 200, pet), undefined);
    assert.deepEqual(await respond('getPet', 200, { ...pet, passwordHash: 'x' }), [
      { location: '/body', rule: 'additionalProperties' },
    ]);
  });

  test('writeOnly properties in a response are a leak', async () => {
    const order = {
      id: 1,
      petId: PET_ID,
      quantity: 1,
      shipTo: { street: 'a', city: 'b', country: 'GB' },
      payment: { method: 'card', cardHolderPassword: 'hunter2' },
    };
    assert.deepEqual(await respond('placeOrder', 201, order), [
      { location: '/body/payment', rule: 'additionalProperties' },
    ]);
  });

  test('an undeclared status is logged; a streamed answer is not buffered', async () => {
    assert.deepEqual(await respond('getPet', 418, {}), [{ location: '/status', rule: 'undeclared' }]);
    const stage = detect.stages.get('getPet')!;
    const head = { status: 200, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } };
    assert.equal(stage.wantsResponseBody!(makeContext(), head), false);
  });

  test('off by default', () => {
    assert.equal(pets.stages.get('getPet')!.wantsResponseBody, undefined);
  });
});

describe('validate: recursive schemas', () => {
  test('a tree validates at every depth, and unknown members deep inside are refused', async () => {
    const category = {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', maxLength: 20 },
        rank: { type: 'integer', nullable: true },
        children: { type: 'array', items: { $ref: '#/components/schemas/Category' } },
      },
    };
    const services = testServices();
    const shared = await validateStageDefinition.setup!(undefined, services);
    const settings: ValidationRouteConfig = {
      openapi: '3.0',
      requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Category' } } } },
      components: { schemas: { Category: category } },
    };
    const make = () =>
      validateStageDefinition.create(
        { name: 'tree', public: true, settings, route: {}, path: ['routes', 0] },
        shared,
        services,
      )!;
    const stage = make();
    assert.ok(make(), 'a second route of the same document reuses the registered components');
    const send = (body: unknown) =>
      run(stage, makeContext({ method: 'POST', headers: json, body: JSON.stringify(body) }));
    const tree = { name: 'pets', rank: null, children: [{ name: 'dogs', children: [{ name: 'terriers', rank: 1 }] }] };
    assert.equal((await send(tree)).kind, 'continue');
    assertRefused(
      await send({ name: 'pets', children: [{ name: 'dogs', children: [{ name: 'x'.repeat(21) }] }] }),
      '/body/children/0/children/0/name',
      'maxLength',
    );
    assertRefused(
      await send({ name: 'pets', children: [{ name: 'dogs', isAdmin: true }] }),
      '/body/children/0',
      'additionalProperties',
    );
    assertRefused(await send({ name: 'a', children: [{ rank: 1 }] }), '/body/children/0/name', 'required');
  });

  test('a reference outside the components is a configuration error', async () => {
    const services = testServices();
    const shared = await validateStageDefinition.setup!(undefined, services);
    const settings: ValidationRouteConfig = {
      requestBody: { content: { 'application/json': { schema: { $ref: 'other.yaml#/X' } } } },
    };
    assert.throws(
      () =>
        validateStageDefinition.create(
          { name: 'r', public: true, settings, route: {}, path: ['routes', 3] },
          shared,
          services,
        ),
      (err: unknown) => err instanceof ConfigError && /unresolved \$ref/.test(err.message),
    );
  });
});

describe('validate: hand-written routes and configuration errors', () => {
  async function stageFor(settings: ValidationRouteConfig, global?: Record<string, unknown>): Promise<Stage> {
    const services = testServices();
    const shared = await validateStageDefinition.setup!(global, services);
    const stage = validateStageDefinition.create(
      { name: 'r', public: true, settings, route: {}, path: ['routes', 4] },
      shared,
      services,
    );
    assert.ok(stage);
    return stage;
  }

  test('a misspelt keyword is a ConfigError with the key path', async () => {
    await assert.rejects(
      stageFor({ requestBody: { content: { 'application/json': { schema: { type: 'string', maxLenght: 3 } } } } }),
      (err: unknown) =>
        err instanceof ConfigError &&
        JSON.stringify(err.path) ===
          JSON.stringify(['routes', 4, 'validation', 'requestBody', 'content', 'application/json', 'schema']),
    );
  });

  test('a catastrophic pattern is only run on bounded input (ReDoS guard)', async () => {
    const stage = await stageFor(
      { parameters: [{ name: 'v', in: 'query', schema: { type: 'string', pattern: '^(a+)+$' } }] },
      { maxPatternInput: 64 },
    );
    const started = performance.now();
    const verdict = await stage.requestHead!(makeContext({ query: `v=${'a'.repeat(5000)}!` }));
    assert.ok(performance.now() - started < 100);
    assertRefused(verdict, '/query/v', 'pattern');
    assert.equal((await stage.requestHead!(makeContext({ query: 'v=aaaa' }))).kind, 'continue');
  });

  test('without declared parameters unknown query keys are allowed; disabled means no stage', async () => {
    const stage = await stageFor({ requestBody: { content: { 'application/json': { schema: { type: 'object' } } } } });
    assert.equal((await stage.requestHead!(makeContext({ query: 'anything=1' }))).kind, 'continue');
    const services = testServices();
    const shared = await validateStageDefinition.setup!(undefined, services);
    assert.equal(
      validateStageDefinition.create(
        { name: 'r', public: true, settings: { enabled: false }, route: {}, path: [] },
        shared,
        services,
      ),
      undefined,
    );
  });
});

describe('validate: property tests on the createPet body', () => {
  const species = fc.constantFrom('dog', 'cat', 'bird', 'fish', 'reptile');
  const shortText = (min: number, max: number) => fc.string({ minLength: min, maxLength: max });
  const validBody = fc.record(
    {
      name: shortText(1, 100),
      species,
      birthDate: fc
        .date({ min: new Date('1990-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10)),
      weightKg: fc.double({ min: 0.01, max: 500, noNaN: true }),
      vaccinated: fc.boolean(),
      description: fc.option(shortText(0, 2000), { nil: null }),
      tags: fc.array(fc.record({ id: fc.integer({ min: 1 }), name: shortText(1, 40) }, { requiredKeys: ['name'] }), {
        maxLength: 10,
      }),
      owner: fc.record({
        name: shortText(1, 100),
        email: fc.constantFrom('a@example.com', "o'brien@example.org", 'x.y+z@mail.example.net'),
      }),
      status: fc.constantFrom('available', 'pending', 'sold'),
      microchip: fc.stringMatching(/^[0-9]{15}$/),
    },
    { requiredKeys: ['name', 'species'] },
  );

  type Mutation = (body: Record<string, unknown>) => Record<string, unknown>;
  const mutations: Mutation[] = [
    ({ name: _n, ...rest }) => rest,
    ({ species: _s, ...rest }) => rest,
    (b) => ({ ...b, species: 'dragon' }),
    (b) => ({ ...b, name: '' }),
    (b) => ({ ...b, name: 42 }),
    (b) => ({ ...b, weightKg: -1 }),
    (b) => ({ ...b, weightKg: '12' }),
    (b) => ({ ...b, vaccinated: 'yes' }),
    (b) => ({ ...b, id: PET_ID }),
    (b) => ({ ...b, unexpected: true }),
    (b) => ({ ...b, tags: Array.from({ length: 11 }, () => ({ name: 't' })) }),
    (b) => ({ ...b, tags: [{ id: 0, name: 't' }] }),
    (b) => ({ ...b, owner: { name: 'x', email: 'not an email' } }),
    (b) => ({ ...b, microchip: '12345' }),
    (b) => ({ ...b, birthDate: '2020-13-45' }),
  ];

  test('every body valid by the schema passes', async () => {
    const stage = pets.stages.get('createPet')!;
    await fc.assert(
      fc.asyncProperty(validBody, async (body) => {
        const verdict = await run(stage, makeContext({ method: 'POST', headers: json, body: JSON.stringify(body) }));
        assert.equal(verdict.kind, 'continue', JSON.stringify(verdict));
      }),
      { numRuns: 200 },
    );
  });

  test('every mutated body fails', async () => {
    const stage = pets.stages.get('createPet')!;
    await fc.assert(
      fc.asyncProperty(validBody, fc.integer({ min: 0, max: mutations.length - 1 }), async (body, which) => {
        const mutated = mutations[which]!(body);
        const verdict = await run(stage, makeContext({ method: 'POST', headers: json, body: JSON.stringify(mutated) }));
        assert.equal(problem(verdict).code, 'PC_ERR_VALIDATION', `mutation ${which}`);
      }),
      { numRuns: 300 },
    );
  });
});

describe('validate: bad input never throws', () => {
  test('arbitrary query strings, headers and bodies always get a verdict', async () => {
    const operations = ['listPets', 'createPet', 'placeOrder', 'searchPets', 'getPet', 'updatePet'];
    const junkText = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.constantFrom(
        '%',
        '%zz',
        '%E0%A4%A',
        'a[b',
        'filter[',
        'filter[]=1',
        '__proto__[x]=1',
        'constructor=1',
        '=',
        '&&&',
      ),
    );
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
      fc.constantFrom(
        '{"__proto__":1}',
        '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
        '{"a":1,"a":1}',
        '\ufeff{}',
        '',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...operations),
        fc.array(fc.tuple(junkText, junkText), { maxLength: 6 }),
        fc.option(body, { nil: undefined }),
        fc.constantFrom(
          'application/json',
          'application/merge-patch+json',
          'text/plain',
          'application/json; charset=latin1',
          'garbage',
        ),
        fc.string({ unit: 'binary', maxLength: 40 }),
        async (operation, pairs, payload, type, cookie) => {
          const stage = pets.stages.get(operation)!;
          const query = pairs.map(([k, v]) => `${k}=${v}`).join('&');
          const ctx = makeContext({
            method: 'POST',
            query,
            params: { petId: pairs[0]?.[1] ?? PET_ID },
            headers: { 'content-type': type, cookie, 'idempotency-key': cookie, 'x-request-deadline': cookie },
            ...(payload !== undefined ? { body: payload } : {}),
          });
          const verdict = await run(stage, ctx);
          assert.ok(verdict.kind === 'continue' || verdict.kind === 'respond');
          if (verdict.kind === 'respond' && verdict.response.kind === 'problem') {
            for (const item of verdict.response.errors ?? [])
              assert.match(item.location, /^\/(query|path|header|cookie|body)(\/[A-Za-z0-9_.~*-]+)*$/);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
