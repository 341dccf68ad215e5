import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { type DemoBackend, startDemoBackend } from './index.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('demo backend', () => {
  let demo: DemoBackend;
  before(async () => {
    demo = await startDemoBackend({ port: 0 });
  });
  after(() => demo.close());

  test('listens on loopback and reports its URL', () => {
    assert.match(demo.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('GET /demo/public echoes method, query and forwarding headers as JSON', async () => {
    const answer = await send(demo.url, 'GET', '/demo/public?x=1', {
      'x-forwarded-for': '203.0.113.7',
      'x-request-id': 'req-1',
      'x-user-id': 'alice',
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(answer.headers['cache-control'], 'no-store');
    const json = JSON.parse(answer.body);
    assert.equal(json.endpoint, '/demo/public');
    assert.equal(json.method, 'GET');
    assert.equal(json.query, 'x=1');
    assert.equal(json.identity, null);
    assert.equal(json.headers['x-forwarded-for'], '203.0.113.7');
    assert.equal(json.headers['x-request-id'], 'req-1');
    assert.equal(json.headers['x-user-id'], 'alice');
  });

  test('/demo/me decodes the identity JWT without trusting it, and never echoes credentials', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = await new SignJWT({ roles: ['admin'], scope: 'read' })
      .setProtectedHeader({ alg: 'ES256', kid: 'gw-1' })
      .setSubject('alice')
      .setIssuer('portcullis')
      .sign(privateKey);
    const answer = await send(demo.url, 'GET', '/demo/me', {
      'x-portcullis-identity': token,
      authorization: 'Bearer secret-token-value',
      cookie: 'sid=secret-cookie',
    });
    assert.equal(answer.status, 200);
    const json = JSON.parse(answer.body);
    assert.equal(json.identity.verified, false);
    assert.equal(json.identity.header.kid, 'gw-1');
    assert.equal(json.identity.claims.sub, 'alice');
    assert.deepEqual(json.identity.claims.roles, ['admin']);
    assert.deepEqual(json.credentialsReceived, ['authorization', 'cookie']);
    assert.equal(answer.body.includes('secret-token-value'), false);
    assert.equal(answer.body.includes('secret-cookie'), false);
    assert.equal(answer.body.includes(token), false);

    const garbage = JSON.parse((await send(demo.url, 'GET', '/demo/admin', { 'x-portcullis-identity': 'x.y' })).body);
    assert.deepEqual(garbage.identity, { verified: false, error: 'the identity header is not a JWT' });
  });

  test('unknown demo paths are 404, other methods 405, anything else is 200 ok', async () => {
    assert.equal((await send(demo.url, 'GET', '/demo/nope')).status, 404);
    const post = await send(demo.url, 'POST', '/demo/public', {}, 'x');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    const other = await send(demo.url, 'GET', '/status/200');
    assert.deepEqual([other.status, other.body], [200, 'ok']);
    const head = await send(demo.url, 'HEAD', '/demo/public');
    assert.deepEqual([head.status, head.body], [200, '']);
  });

  test('POST /reflect answers the described response', async () => {
    const answer = await send(
      demo.url,
      'POST',
      '/reflect',
      { 'content-type': 'application/json' },
      JSON.stringify({ status: 500, headers: { 'X-Debug': 'on' }, body: '<html><body>ORA-01756</body></html>' }),
    );
    assert.equal(answer.status, 500);
    assert.equal(answer.headers['x-debug'], 'on');
    assert.equal(answer.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(answer.body, '<html><body>ORA-01756</body></html>');

    const encoded = await send(demo.url, 'POST', '/reflect/', {}, JSON.stringify({ encodedBody: 'aGVsbG8=' }));
    assert.deepEqual([encoded.status, encoded.body], [200, 'hello']);
  });

  test('a bad or oversized /reflect request is a 400 or 413, and the server keeps serving', async () => {
    const bad = await send(demo.url, 'POST', '/reflect', {}, '{"headers":{"X":"a\\r\\nb"}}');
    assert.equal(bad.status, 400);
    assert.match(bad.body, /cannot be sent/);
    const big = await send(demo.url, 'POST', '/reflect', {}, Buffer.alloc(1024 * 1024 + 10, 0x20));
    assert.equal(big.status, 413);
    assert.equal((await send(demo.url, 'GET', '/demo/public')).status, 200);
  });

  test('a request target that does not parse is a 400, not a crash', async () => {
    const { port } = new URL(demo.url);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.end('GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      });
      let data = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        data += chunk;
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    assert.match(reply, /^HTTP\/1\.1 400 /);
    assert.match(reply, /bad request target$/);
    assert.equal((await send(demo.url, 'GET', '/demo/public')).status, 200);
  });

  test('close() returns while a keep-alive connection is open, and a busy port is an error', async () => {
    const second = await startDemoBackend({ port: 0 });
    const port = Number(new URL(second.url).port);
    await assert.rejects(startDemoBackend({ port }), /EADDRINUSE/);
    await new Promise<void>((resolve, reject) => {
      const req = request(`${second.url}/demo/public`, { agent: new Agent({ keepAlive: true }) }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
    const started = Date.now();
    await second.close();
    assert.ok(Date.now() - started < 1500, 'idle keep-alive connections do not hold close() up');
  });
});
