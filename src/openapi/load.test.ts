import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { EXAMPLES_DIR } from '../../test/openapi/petstore.js';
import { ConfigError } from '../config/errors.js';
import { compileCondition } from '../policy/conditions.js';
import { RouteAuthSchema } from '../stages/authn/schema.js';
import { RouteAllowSchema } from '../stages/authz/schema.js';
import { expandOpenApiGroupsSync, originalPath } from './expand.js';
import { loadOpenApiRoutes, loadOpenApiRoutesSync } from './load.js';
import { toRoutePattern } from './path.js';
import { mapSecurity } from './security.js';

const dir = mkdtempSync(join(tmpdir(), 'pc-openapi-'));
function spec(name: string, doc: unknown): string {
  writeFileSync(join(dir, name), JSON.stringify(doc));
  return name;
}
const ok = { '200': { description: 'ok' } };

describe('loadOpenApiRoutes', () => {
  test('every pet-store operation becomes a route', async () => {
    const routes = await loadOpenApiRoutes(
      {
        name: 'pets',
        openapi: { spec: 'petstore.openapi.yaml', upstream: 'app', basePath: '/api' },
        rateLimit: { plan: 'x' },
      },
      EXAMPLES_DIR,
    );
    const summary = routes.map((r) => `${r.name} ${r.match.methods.join(',')} ${r.match.path}`);
    assert.deepEqual(summary, [
      'pets.listPets GET /api/pets',
      'pets.createPet POST /api/pets',
      'pets.getPet GET /api/pets/:petId',
      'pets.deletePet DELETE /api/pets/:petId',
      'pets.updatePet PATCH /api/pets/:petId',
      'pets.uploadPhoto POST /api/pets/:petId/photos',
      'pets.requestAdoption POST /api/pets/:petId/adoptions',
      'pets.placeOrder POST /api/orders',
      'pets.searchPets GET /api/search',
      'pets.health GET /api/health',
    ]);
    for (const route of routes) {
      assert.equal(route.upstream, 'app');
      assert.deepEqual(route.rateLimit, { plan: 'x' });
      assert.equal(route.validation.unknownQuery, 'reject');
      assert.equal(route.validation.unknownBodyProperties, 'reject');
      assert.equal(route.validation.openapi, '3.0');
    }
    const byName = new Map(routes.map((r) => [r.name, r]));
    // Path-level parameters are inherited and $refs resolved.
    assert.deepEqual(byName.get('pets.getPet')!.validation.parameters, [
      { name: 'petId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
    ]);
  });

  test('security requirements become auth and allow sections the auth stages accept', async () => {
    const routes = await loadOpenApiRoutes(
      { openapi: { spec: 'petstore.openapi.yaml', upstream: 'app' } },
      EXAMPLES_DIR,
    );
    const byName = new Map(routes.map((r) => [r.name, r]));
    assert.deepEqual(byName.get('createPet')!.auth, { accept: ['jwt'] });
    assert.deepEqual(byName.get('createPet')!.allow, { scopes: { allOf: ['read:pets', 'write:pets'] } });
    assert.deepEqual(byName.get('placeOrder')!.auth, { accept: ['apiKey'] });
    assert.equal(byName.get('placeOrder')!.allow, undefined);
    assert.deepEqual(byName.get('listPets')!.auth, { accept: ['jwt', 'apiKey'] });
    assert.deepEqual(byName.get('listPets')!.allow, {
      when: "(identity.method == 'jwt' && 'read:pets' in identity.scopes) || (identity.method == 'apiKey')",
    });
    assert.equal(byName.get('health')!.public, true);
    assert.equal(byName.get('health')!.auth, undefined);
    for (const route of routes) {
      if (route.auth) assert.ok(Value.Check(RouteAuthSchema, route.auth), `${route.name} auth`);
      if (route.allow) assert.ok(Value.Check(RouteAllowSchema, route.allow), `${route.name} allow`);
    }
    // The alternative-scopes condition means what the document says.
    const when = compileCondition((byName.get('listPets')!.allow as { when: string }).when, ['allow', 'when']);
    const identity = (method: string, scopes: string[]) => ({
      identity: {
        subject: 's',
        method,
        issuer: '',
        roles: [],
        permissions: [],
        scopes,
        claims: {},
        clientId: '',
        plan: '',
      },
      request: { method: 'GET', path: '/pets', params: {}, query: {}, headers: {}, clientIp: '127.0.0.1' },
    });
    assert.equal(when(identity('jwt', ['read:pets'])), true);
    assert.equal(when(identity('jwt', ['write:pets'])), false);
    assert.equal(when(identity('apiKey', [])), true);
    assert.equal(when(identity('basic', ['read:pets'])), false);
  });

  test('public: true overrides the document', async () => {
    const routes = await loadOpenApiRoutes(
      { openapi: { spec: 'petstore.openapi.yaml', upstream: 'app', public: true } },
      EXAMPLES_DIR,
    );
    assert.ok(routes.every((r) => r.public === true && r.auth === undefined && r.allow === undefined));
  });

  test('OpenAPI 3.1 documents and external file $refs', async () => {
    spec('pet.schema.json', { type: 'object', properties: { name: { type: ['string', 'null'] } } });
    const name = spec('v31.json', {
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      paths: {
        '/a/{x}.{ext}': {
          post: {
            parameters: [
              { name: 'x', in: 'path', required: true, schema: { type: 'string' } },
              { name: 'ext', in: 'path', required: true, schema: { enum: ['json', 'xml'] } },
            ],
            requestBody: { content: { 'application/json': { schema: { $ref: './pet.schema.json' } } } },
            responses: ok,
          },
        },
      },
    });
    const [route] = await loadOpenApiRoutes({ openapi: { spec: name, upstream: 'u' } }, dir);
    assert.equal(route!.name, 'post:a_x.ext');
    assert.equal(route!.match.path, '/a/:x.:ext');
    assert.equal(route!.validation.openapi, '3.1');
    assert.deepEqual(route!.validation.requestBody!.content['application/json']!.schema, {
      type: 'object',
      properties: { name: { type: ['string', 'null'] } },
    });
  });

  test('recursive schemas keep their components for Ajv to resolve', async () => {
    const name = spec('tree.json', {
      openapi: '3.0.3',
      paths: {
        '/categories': {
          post: {
            operationId: 'addCategory',
            requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Category' } } } },
            responses: ok,
          },
        },
      },
      components: {
        schemas: {
          Category: {
            type: 'object',
            required: ['name'],
            properties: {
              name: { type: 'string', maxLength: 20 },
              children: { type: 'array', items: { $ref: '#/components/schemas/Category' } },
            },
          },
        },
      },
    });
    const [route] = await loadOpenApiRoutes({ openapi: { spec: name, upstream: 'u' } }, dir);
    assert.deepEqual(route!.validation.requestBody!.content['application/json']!.schema, {
      $ref: '#/components/schemas/Category',
    });
    assert.ok(route!.validation.components?.schemas.Category);
  });

  const failures: [string, unknown, RegExp][] = [
    ['swagger 2', { swagger: '2.0', paths: {} }, /not an OpenAPI 3\.0\/3\.1 document/],
    ['no operations', { openapi: '3.0.0', paths: {} }, /describes no operations/],
    ['remote $ref', { openapi: '3.0.0', paths: { '/r': { $ref: 'http://127.0.0.1:9/x.json' } } }, /cannot load/],
    ['trace', { openapi: '3.0.0', paths: { '/t': { trace: { responses: ok } } } }, /TRACE/],
    [
      'undescribed path parameter',
      { openapi: '3.0.0', paths: { '/p/{id}': { get: { responses: ok } } } },
      /"id" is not described/,
    ],
    ['bad template', { openapi: '3.0.0', paths: { '/p/{a-b}': { get: { responses: ok } } } }, /letters, digits/],
    [
      'apiKey in query',
      {
        openapi: '3.0.0',
        paths: { '/k': { get: { security: [{ k: [] }], responses: ok } } },
        components: { securitySchemes: { k: { type: 'apiKey', in: 'query', name: 'key' } } },
      },
      /in: header/,
    ],
    [
      'undeclared scheme',
      { openapi: '3.0.0', paths: { '/k': { get: { security: [{ nope: [] }], responses: ok } } } },
      /not declared/,
    ],
    [
      'duplicate operationId',
      {
        openapi: '3.0.0',
        paths: {
          '/a': { get: { operationId: 'x', responses: ok } },
          '/b': { get: { operationId: 'x', responses: ok } },
        },
      },
      /generated twice/,
    ],
  ];
  for (const [label, doc, message] of failures) {
    test(`refuses: ${label}`, async () => {
      const name = spec(`${label.replaceAll(' ', '-')}.json`, doc);
      await assert.rejects(
        loadOpenApiRoutes({ openapi: { spec: name, upstream: 'u' } }, dir, ['routes', 2]),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, message);
          assert.deepEqual(err.path, ['routes', 2, 'openapi', 'spec']);
          return true;
        },
      );
    });
  }

  test('refuses a missing file and bad group settings with their key paths', async () => {
    await assert.rejects(loadOpenApiRoutes({ openapi: { spec: 'absent.yaml', upstream: 'u' } }, dir), /cannot load/);
    await assert.rejects(
      loadOpenApiRoutes({ openapi: { spec: 'x.yaml', upstream: 'u', unknownQuery: 'maybe' } }, dir, ['routes', 1]),
      (err: unknown) => err instanceof ConfigError && err.path.join('.') === 'routes.1.openapi.unknownQuery',
    );
  });
});

describe('loadOpenApiRoutesSync (for the synchronous config loader)', () => {
  test('generates the same routes as the asynchronous loader', async () => {
    const group = { openapi: { spec: 'petstore.openapi.yaml', upstream: 'app', validateResponses: 'detect' } };
    assert.deepEqual(loadOpenApiRoutesSync(group, EXAMPLES_DIR), await loadOpenApiRoutes(group, EXAMPLES_DIR));
  });

  test('errors keep their key paths; expansion maps positions back to the group', () => {
    assert.throws(
      () => loadOpenApiRoutesSync({ openapi: { spec: 'absent.yaml', upstream: 'u' } }, dir, ['routes', 1]),
      (err: unknown) =>
        err instanceof ConfigError && /cannot load/.test(err.message) && err.path.join('.') === 'routes.1.openapi.spec',
    );
    const plain = { name: 'x', match: { path: '/x' }, upstream: 'u', public: true };
    const expanded = expandOpenApiGroupsSync(
      [plain, { openapi: { spec: 'petstore.openapi.yaml', upstream: 'app', public: true } }, plain],
      EXAMPLES_DIR,
    );
    assert.equal(expanded.routes.length, 12);
    assert.deepEqual(originalPath(['routes', 0, 'name'], expanded), ['routes', 0, 'name']);
    assert.deepEqual(originalPath(['routes', 5, 'validation', 'parameters'], expanded), ['routes', 1]);
    assert.deepEqual(originalPath(['routes', 11, 'upstream'], expanded), ['routes', 2, 'upstream']);
  });
});

describe('toRoutePattern', () => {
  test('converts templates to find-my-way patterns', () => {
    assert.deepEqual(toRoutePattern('/pets/{petId}/photos/{n}'), {
      pattern: '/pets/:petId/photos/:n',
      params: ['petId', 'n'],
    });
    assert.equal(toRoutePattern('/files/{name}.{ext}', '/v1/').pattern, '/v1/files/:name.:ext');
    assert.equal(toRoutePattern('/time/12:00').pattern, '/time/12::00');
    assert.throws(() => toRoutePattern('/a/*'), /contains "\*"/);
    assert.throws(() => toRoutePattern('/a/{x}y'), /followed by/);
  });
});

describe('mapSecurity', () => {
  const schemes = {
    bearer: { type: 'http', scheme: 'Bearer' },
    basic: { type: 'http', scheme: 'basic' },
    oidc: { type: 'openIdConnect', openIdConnectUrl: 'https://id.example/.well-known/openid-configuration' },
    mtls: { type: 'mutualTLS' },
  };
  test('scheme types to methods', () => {
    assert.deepEqual(mapSecurity([{ bearer: [] }], schemes), { kind: 'protected', auth: { accept: ['jwt'] } });
    assert.deepEqual(mapSecurity([{ basic: [] }, { mtls: [] }], schemes), {
      kind: 'protected',
      auth: { accept: ['basic', 'mtls'] },
    });
    assert.deepEqual(mapSecurity([{ oidc: ['b', 'a'] }], schemes), {
      kind: 'protected',
      auth: { accept: ['jwt'] },
      allow: { scopes: { allOf: ['a', 'b'] } },
    });
    assert.deepEqual(mapSecurity([], schemes), { kind: 'public' });
    assert.deepEqual(mapSecurity([{ bearer: [] }, {}], schemes), { kind: 'public' });
    assert.deepEqual(mapSecurity(undefined, schemes), { kind: 'none' });
    assert.throws(() => mapSecurity([{ d: [] }], { d: { type: 'http', scheme: 'digest' } }), /not supported/);
    assert.throws(() => mapSecurity([{ oidc: ["x' || true || '"] }, { basic: [] }], schemes), /characters/);
  });
});
