import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { proxyYaml, startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { rawRequest } from '../helpers/raw.js';

describe('reverse proxy', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startTestGateway(proxyYaml(upstream.url));
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('forwards a GET with its query and answers the upstream body', async () => {
    const res = await request(`${gw.url}/api/items?id=42`);
    assert.equal(res.statusCode, 200);
    const body = (await res.body.json()) as { url: string };
    assert.equal(body.url, '/api/items?id=42');
    assert.ok(res.headers['x-request-id']);
  });

  test('streams a POST body upstream', async () => {
    const payload = Buffer.alloc(200_000, 'a');
    const res = await request(`${gw.url}/upload`, { method: 'POST', body: payload });
    const body = (await res.body.json()) as { bodyLength: number };
    assert.equal(body.bodyLength, payload.length);
  });

  test('sets forwarding headers and drops hop-by-hop ones', async () => {
    await rawRequest(
      gw.port,
      'GET /h HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6\r\nConnection: close, x-secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\n\r\n',
    );
    const seen = upstream.seen.at(-1)!;
    // The test client is not a trusted proxy: its X-Forwarded-For is replaced.
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.match(String(seen.headers.forwarded), /^for=127\.0\.0\.1;proto=http/);
    assert.equal(seen.headers['x-secret'], undefined);
    assert.equal(seen.headers['keep-alive'], undefined);
  });

  test('normalises the path before routing and forwarding', async () => {
    await request(`${gw.url}/a/%2e%2e/b//c`).then((r) => r.body.dump());
    assert.equal(upstream.seen.at(-1)!.url, '/b/c');
  });

  test('refuses bypass-shaped paths with 400 problem+json', async () => {
    const res = await request(`${gw.url}/admin;x=1`);
    assert.equal(res.statusCode, 400);
    assert.equal(res.headers['content-type'], 'application/problem+json');
    const body = (await res.body.json()) as { code: string; requestId: string };
    assert.equal(body.code, 'PC_ERR_BAD_PATH');
    assert.ok(body.requestId);
  });

  test('keeps a well-formed client request id and replaces a malformed one', async () => {
    const kept = await request(`${gw.url}/`, { headers: { 'x-request-id': 'abc-123' } });
    await kept.body.dump();
    assert.equal(kept.headers['x-request-id'], 'abc-123');
    const replaced = await request(`${gw.url}/`, { headers: { 'x-request-id': 'bad id\twith spaces' } });
    await replaced.body.dump();
    assert.notEqual(replaced.headers['x-request-id'], 'bad id\twith spaces');
  });
});
