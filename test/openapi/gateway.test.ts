/**
 * The validate and transform stages over real sockets: routes generated from the pet-store
 * document, a gateway, and an upstream that records what reached it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigErrors } from '../../src/config/errors.js';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { EXAMPLES_DIR } from './petstore.js';

const PET_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
let upstream: TestUpstream;
let gw: TestGateway;

before(async () => {
  upstream = await startUpstream((req, res) => {
    if (req.url?.startsWith(`/pets/${PET_ID}`) && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: PET_ID,
          name: 'Rex',
          species: 'dog',
          status: 'sold',
          owner: { name: 'A', email: 'a@b.co', password: 'hunter2' },
          card: '4111 1111 1111 1111',
        }),
      );
      return true;
    }
    return undefined;
  });
  // The group goes through the real configuration loader, which expands it.
  const yaml = `dataDir: ./data
listeners:
  - { protocol: http, host: 127.0.0.1, port: 0 }
admin: { enabled: false }
log: { access: false }
upstreams:
  app: { targets: ["${upstream.url}"] }
routes:
  - openapi: { spec: "${EXAMPLES_DIR}petstore.openapi.yaml", upstream: app, public: true }
    transform: { response: { body: { maskKeys: [password], maskCardNumbers: true } } }
`;
  gw = await startTestGateway(yaml);
});

after(async () => {
  await gw?.close();
  await upstream?.close();
});

async function call(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) {
  const before = upstream.seen.length;
  const res = await fetch(gw.url + path, {
    method,
    ...(init.body !== undefined ? { body: init.body } : {}),
    headers: init.headers ?? {},
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text, reached: upstream.seen.length > before };
}

const json = { 'content-type': 'application/json' };

describe('generated routes behind a gateway', () => {
  test('a valid request reaches the upstream', async () => {
    const r = await call('GET', '/pets?limit=5&status=available');
    assert.equal(r.status, 200);
    assert.ok(r.reached);
  });

  test('an invalid parameter is a 400 problem naming the location; the upstream is not called', async () => {
    const r = await call('GET', '/pets?limit=abc');
    assert.equal(r.status, 400);
    assert.equal(r.type, 'application/problem+json');
    const body = JSON.parse(r.text);
    assert.equal(body.code, 'PC_ERR_VALIDATION');
    assert.deepEqual(body.errors, [{ location: '/query/limit', rule: 'type' }]);
    assert.equal(r.reached, false);
  });

  test('undocumented paths are 404, undocumented methods 405', async () => {
    assert.equal((await call('GET', '/admin')).status, 404);
    const put = await call('PUT', '/pets');
    assert.equal(put.status, 405);
    assert.equal(put.reached, false);
  });

  test('bodies: valid passes unchanged, duplicates 400, wrong type 415, oversize 413', async () => {
    const pet = JSON.stringify({ name: "D'Artagnan", species: 'cat', tags: [{ name: 'x' }] });
    const ok = await call('POST', '/pets', { body: pet, headers: json });
    assert.equal(ok.status, 200);
    assert.deepEqual(upstream.seen.at(-1)!.body.toString(), pet);
    const dup = await call('POST', '/pets', { body: '{"name":"a","species":"dog","species":"cat"}', headers: json });
    assert.equal(dup.status, 400);
    assert.deepEqual(JSON.parse(dup.text).errors, [{ location: '/body', rule: 'duplicateKey' }]);
    assert.equal(dup.reached, false);
    const xml = await call('POST', '/pets', { body: '<pet/>', headers: { 'content-type': 'text/xml' } });
    assert.equal(xml.status, 415);
    const big = await call('POST', '/pets', {
      body: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), species: 'dog' }),
      headers: json,
    });
    assert.equal(big.status, 413);
    assert.equal(big.reached, false);
  });

  test('a mass-assignment attempt is refused', async () => {
    const r = await call('POST', '/pets', {
      body: JSON.stringify({ name: 'a', species: 'dog', id: PET_ID }),
      headers: json,
    });
    assert.equal(r.status, 400);
    assert.deepEqual(JSON.parse(r.text).errors, [{ location: '/body', rule: 'additionalProperties' }]);
  });

  test('response masking applies on the way back', async () => {
    const r = await call('GET', `/pets/${PET_ID}`);
    assert.equal(r.status, 200);
    const body = JSON.parse(r.text);
    assert.equal(body.owner.password, '****');
    assert.equal(body.card, '**** **** **** 1111');
  });
});

describe('hand-written validation and transform sections', () => {
  test('a broken document fails the load at the group entry', async () => {
    const yaml = `dataDir: ./data
listeners:
  - { protocol: http, host: 127.0.0.1, port: 0 }
upstreams:
  app: { targets: ["${upstream.url}"] }
routes:
  - name: health
    match: { path: /health }
    upstream: app
    public: true
  - openapi: { spec: ./missing.yaml, upstream: app }
`;
    await assert.rejects(startTestGateway(yaml), (err: unknown) => {
      assert.ok(err instanceof ConfigErrors);
      const issue = err.errors[0]!;
      assert.deepEqual(issue.path, ['routes', 1, 'openapi', 'spec']);
      assert.equal(issue.line, 11);
      assert.match(issue.message, /cannot load OpenAPI document \.\/missing\.yaml/);
      return true;
    });
  });

  test('a misspelt schema keyword fails the load with file, line and key path', async () => {
    const yaml = `dataDir: ./data
listeners:
  - { protocol: http, host: 127.0.0.1, port: 0 }
admin: { enabled: false }
upstreams:
  app: { targets: ["${upstream.url}"] }
routes:
  - name: notes
    match: { path: /notes, methods: [POST] }
    upstream: app
    public: true
    validation:
      requestBody:
        content:
          application/json:
            schema: { type: object, properties: { text: { type: string, maxLenght: 10 } } }
`;
    await assert.rejects(startTestGateway(yaml), (err: unknown) => {
      assert.ok(err instanceof ConfigErrors);
      const issue = err.errors[0]!;
      assert.deepEqual(issue.path.slice(0, 4), ['routes', 0, 'validation', 'requestBody']);
      assert.ok(issue.line >= 12, `line ${issue.line}`);
      assert.match(issue.message, /maxLenght/);
      return true;
    });
  });

  test('a hand-written route: body schema, header and query edits reach the upstream', async () => {
    const yaml = `dataDir: ./data
listeners:
  - { protocol: http, host: 127.0.0.1, port: 0 }
admin: { enabled: false }
log: { access: false }
upstreams:
  app: { targets: ["${upstream.url}"] }
routes:
  - name: notes
    match: { path: /api/notes, methods: [POST] }
    upstream: app
    public: true
    validation:
      parameters:
        - { name: draft, in: query, schema: { type: boolean } }
      requestBody:
        required: true
        content:
          application/json:
            schema: { type: object, required: [text], properties: { text: { type: string, maxLength: 50 } } }
    transform:
      request:
        headers: { add: { X-Gateway: portcullis }, remove: [X-Debug] }
        query: { add: { source: gw } }
        path: { stripPrefix: /api }
        body: { set: [{ pointer: /checked, value: true }] }
`;
    const local = await startTestGateway(yaml);
    try {
      const ok = await fetch(`${local.url}/api/notes?draft=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-debug': '1' },
        body: JSON.stringify({ text: "it's fine" }),
      });
      assert.equal(ok.status, 200);
      await ok.text();
      const seen = upstream.seen.at(-1)!;
      assert.equal(seen.url, '/notes?draft=true&source=gw');
      assert.equal(seen.headers['x-gateway'], 'portcullis');
      assert.equal(seen.headers['x-debug'], undefined);
      assert.deepEqual(JSON.parse(seen.body.toString()), { text: "it's fine", checked: true });
      const badQuery = await fetch(`${local.url}/api/notes?draft=maybe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'x' }),
      });
      assert.equal(badQuery.status, 400);
      assert.deepEqual(((await badQuery.json()) as { errors: unknown }).errors, [
        { location: '/query/draft', rule: 'type' },
      ]);
      const bad = await fetch(`${local.url}/api/notes?draft=false`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'x'.repeat(51), extra: 1 }),
      });
      assert.equal(bad.status, 400);
      const problem = (await bad.json()) as { errors: { location: string; rule: string }[] };
      assert.deepEqual(problem.errors.map((e) => `${e.location} ${e.rule}`).sort(), [
        '/body additionalProperties',
        '/body/text maxLength',
      ]);
    } finally {
      await local.close();
    }
  });
});
