import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
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

  test('a small declared body arriving in pieces goes upstream whole, with its length', async () => {
    const payload = Buffer.from(JSON.stringify({ order: 'x'.repeat(900) }));
    const socket = connect(gw.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const answer = new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => {
        chunks.push(c);
        if (Buffer.concat(chunks).includes('bodyLength')) resolve(Buffer.concat(chunks).toString());
      });
    });
    socket.write(
      `POST /small HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`,
    );
    for (let i = 0; i < payload.length; i += 300) {
      socket.write(payload.subarray(i, i + 300));
      await sleep(5);
    }
    assert.match(await answer, new RegExp(`"bodyLength":${payload.length}`));
    socket.destroy();
    const seen = upstream.seen.at(-1)!;
    assert.equal(seen.url, '/small');
    assert.deepEqual(seen.body, payload);
    assert.equal(seen.headers['content-length'], String(payload.length));
    assert.equal(seen.headers['transfer-encoding'], undefined);
  });

  test('a client that leaves in the middle of a small body sends nothing upstream', async () => {
    const before = upstream.seen.length;
    const socket = connect(gw.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('POST /cut HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789');
    await sleep(50);
    socket.destroy();
    await sleep(100);
    assert.equal(upstream.seen.length, before);
    // The gateway is unharmed: the next request goes through.
    const res = await request(`${gw.url}/after`, { method: 'POST', body: 'ok' });
    assert.equal(res.statusCode, 200);
    await res.body.dump();
    assert.equal(upstream.seen.at(-1)!.url, '/after');
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

describe('reverse proxy: back-pressure', () => {
  const size = 16 * 1024 * 1024;
  const pattern = (i: number) => i % 251;
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.url !== '/big') return false;
      const body = Buffer.alloc(size);
      for (let i = 0; i < size; i++) body[i] = pattern(i);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
      res.end(body);
      return true;
    });
    gw = await startTestGateway(proxyYaml(upstream.url));
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('an answer larger than the socket buffers reaches a client that reads late, whole', async () => {
    const socket = connect(gw.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.pause();
    socket.write('GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    // The gateway's writes to this client are refused while it does not read.
    await sleep(300);
    const chunks: Buffer[] = [];
    const ended = new Promise<void>((resolve) => socket.on('end', resolve));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.resume();
    await ended;
    const all = Buffer.concat(chunks);
    const body = all.subarray(all.indexOf('\r\n\r\n') + 4);
    assert.equal(body.length, size);
    for (let i = 0; i < size; i += 4093) assert.equal(body[i], pattern(i), `byte ${i}`);
  });
});
