import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { proxyYaml, startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { rawRequest, statusOf } from '../helpers/raw.js';

// SECURITY-REQUIREMENTS.md §1.2 (H-1..H-17): what reaches the upstream is unambiguous.
describe('HTTP protocol hygiene', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startTestGateway(
      proxyYaml(upstream.url).replace('admin:', 'server:\n  limits:\n    maxUriBytes: 1024\nadmin:'),
    );
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  const refused = async (name: string, data: string, statuses = [400]) => {
    const before = upstream.seen.length;
    const res = await rawRequest(gw.port, data);
    assert.ok(statuses.includes(statusOf(res)), `${name}: got ${statusOf(res) || 'no status'}: ${res.slice(0, 80)}`);
    assert.equal(upstream.seen.length, before, `${name}: nothing reaches the upstream`);
  };

  test('H-2: a Transfer-Encoding that does not end in chunked', async () => {
    await refused('xchunked', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n', [400, 501]);
    await refused('chunked, identity', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n');
  });
  test('H-3: conflicting Content-Length', async () => {
    await refused('two values', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!');
    await refused('sign', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello');
  });
  test('H-4: whitespace between field name and colon', async () => {
    await refused('space before colon', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n');
  });
  test('H-5: obs-fold', async () => {
    await refused('obs-fold', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  continued\r\n\r\n');
  });
  test('H-6: CR, LF or NUL inside a header value', async () => {
    await refused('bare CR', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n');
    await refused('NUL', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n');
  });
  test('H-10: an overlong request-target is 414', async () => {
    const res = await rawRequest(gw.port, `GET /${'a'.repeat(2000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(statusOf(res), 414);
  });
  test('H-13: TRACE and CONNECT are refused unless a route lists them; method overrides are dropped', async () => {
    const trace = await request(`${gw.url}/x`, { method: 'TRACE' });
    await trace.body.dump();
    assert.equal(trace.statusCode, 405);
    await (
      await request(`${gw.url}/x`, { method: 'POST', body: '{}', headers: { 'x-http-method-override': 'DELETE' } })
    ).body.dump();
    const seen = upstream.seen.at(-1)!;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.headers['x-http-method-override'], undefined);
  });
  test('H-14: spoofed identity and address headers are replaced', async () => {
    await (
      await request(`${gw.url}/x`, {
        headers: {
          'x-real-ip': '1.2.3.4',
          'x-forwarded-for': '1.2.3.4',
          'x-client-cert': 'forged',
          forwarded: 'for=1.2.3.4',
        },
      })
    ).body.dump();
    const seen = upstream.seen.at(-1)!;
    assert.equal(seen.headers['x-real-ip'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-client-cert'], undefined);
    assert.match(String(seen.headers.forwarded), /^for=127\.0\.0\.1;/);
  });
  test('H-15: missing or repeated Host is 400', async () => {
    await refused('two hosts', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
    await refused('no host', 'GET / HTTP/1.1\r\n\r\n');
  });
  test('H-17: Upgrade: h2c is never forwarded', async () => {
    await refused(
      'h2c',
      'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n',
      [400, 404],
    );
  });
  test('H-1: after a refused smuggling attempt the connection is closed', async () => {
    const res = await rawRequest(
      gw.port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    assert.equal(statusOf(res), 400);
    assert.equal(res.match(/HTTP\/1\.1 /g)?.length, 1, 'one answer only');
    assert.ok(!upstream.seen.some((s) => s.url === '/smuggled'));
  });
});
