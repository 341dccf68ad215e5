import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { proxyYaml, startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { rawRequest, statusOf } from '../helpers/raw.js';

describe('limits and malformed requests', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    const yaml = proxyYaml(upstream.url)
      .replace(
        'admin:',
        'server:\n  limits:\n    maxHeaderBytes: 2048\n    headersTimeoutMs: 300\n    requestTimeoutMs: 600\n    maxBodyBytes: 1000\nadmin:',
      )
      .concat(`  - name: get-only
    match: { path: /only-get, methods: [GET] }
    upstream: app
    public: true
`);
    gw = await startTestGateway(yaml);
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('404 problem+json for a path no route matches', async () => {
    const other = await startTestGateway(proxyYaml(upstream.url).replace('path: "/*"', 'path: /known'));
    try {
      const res = await request(`${other.url}/unknown`);
      assert.equal(res.statusCode, 404);
      assert.equal(((await res.body.json()) as { code: string }).code, 'PC_ERR_NOT_FOUND');
    } finally {
      await other.close();
    }
  });

  test('405 with Allow for a method the route does not take', async () => {
    const res = await request(`${gw.url}/only-get`, { method: 'DELETE' });
    assert.equal(res.statusCode, 405);
    assert.equal(res.headers.allow, 'GET');
    await res.body.dump();
  });

  test('431 for oversized headers', async () => {
    const res = await rawRequest(gw.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`);
    assert.equal(statusOf(res), 431);
    assert.match(res, /application\/problem\+json/);
  });

  test('413 for a declared body over the limit, before reading it', async () => {
    const res = await rawRequest(gw.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n');
    assert.equal(statusOf(res), 413);
  });

  test('413 for a chunked body that grows over the limit', async () => {
    const chunk = 'a'.repeat(600);
    const body = `258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`;
    const res = await rawRequest(gw.port, `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
    assert.equal(statusOf(res), 413);
  });

  test('408 for a client that never finishes its headers', async () => {
    const res = await rawRequest(gw.port, 'GET / HTTP/1.1\r\nHost: x\r\n', 3000);
    assert.equal(statusOf(res), 408);
  });

  test('400 and no forwarding for smuggling shapes', async () => {
    const before = upstream.seen.length;
    const both = await rawRequest(
      gw.port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    assert.equal(statusOf(both), 400);
    const badChunk = await rawRequest(
      gw.port,
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
    );
    assert.equal(statusOf(badChunk), 400);
    const doubleCl = await rawRequest(
      gw.port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
    );
    assert.equal(statusOf(doubleCl), 400);
    const teIdentity = await rawRequest(
      gw.port,
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
    );
    assert.equal(statusOf(teIdentity), 400);
    const bareLf = await rawRequest(gw.port, 'GET / HTTP/1.1\nHost: x\n\n');
    assert.ok([400, 0].includes(statusOf(bareLf)) || statusOf(bareLf) === 200, 'bare LF handled without crash');
    assert.equal(upstream.seen.length, before + (statusOf(bareLf) === 200 ? 1 : 0));
  });
});

describe('upstream failures', () => {
  test('502 when the upstream refuses connections, with problem+json and no internals', async () => {
    const gw = await startTestGateway(proxyYaml('http://127.0.0.1:1'));
    try {
      const res = await request(`${gw.url}/x`);
      assert.equal(res.statusCode, 502);
      const body = (await res.body.json()) as Record<string, unknown>;
      assert.equal(body.code, 'PC_ERR_UPSTREAM_BAD_RESPONSE');
      assert.ok(!JSON.stringify(body).includes('ECONNREFUSED'));
    } finally {
      await gw.close();
    }
  });

  test('504 when the upstream is too slow to answer', async () => {
    const slow = await startUpstream((_req, res) => {
      setTimeout(() => res.end('late'), 1500);
      return true;
    });
    const yaml = proxyYaml(slow.url).replace('targets:', 'timeouts: { headersMs: 200 }\n    targets:');
    const gw = await startTestGateway(yaml);
    try {
      const res = await request(`${gw.url}/x`, { method: 'POST', body: 'x' });
      assert.equal(res.statusCode, 504);
      await res.body.dump();
    } finally {
      await gw.close();
      await slow.close();
    }
  });

  test('a reset mid-answer cuts the client connection instead of a truncated 200', async () => {
    const resetting = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
      return true;
    });
    const gw = await startTestGateway(proxyYaml(resetting.url));
    try {
      const res = await request(`${gw.url}/x`);
      await assert.rejects(res.body.text());
    } finally {
      await gw.close();
      await resetting.close();
    }
  });

  test('503 when the circuit is open for every target', async () => {
    const yaml = proxyYaml('http://127.0.0.1:1').replace(
      'targets:',
      'retries: 0\n    circuitBreaker: { failures: 1, cooldownMs: 60000 }\n    targets:',
    );
    const gw = await startTestGateway(yaml);
    try {
      const first = await request(`${gw.url}/x`);
      await first.body.dump();
      assert.equal(first.statusCode, 502);
      const second = await request(`${gw.url}/x`);
      await second.body.dump();
      assert.equal(second.statusCode, 503);
    } finally {
      await gw.close();
    }
  });

  test('an idempotent request is retried on another target', async () => {
    const good = await startUpstream();
    const yaml = proxyYaml(good.url).replace(
      `targets: ["${good.url}"]`,
      `targets: ["http://127.0.0.1:1", "${good.url}"]`,
    );
    const gw = await startTestGateway(yaml);
    try {
      for (let i = 0; i < 4; i++) {
        const res = await request(`${gw.url}/x`);
        await res.body.dump();
        assert.equal(res.statusCode, 200);
      }
    } finally {
      await gw.close();
      await good.close();
    }
  });
});
