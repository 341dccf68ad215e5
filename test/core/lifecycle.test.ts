import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Agent, request } from 'undici';
import WebSocket, { WebSocketServer } from 'ws';
import { proxyYaml, startTestGateway, startUpstream } from '../helpers/gateway.js';

describe('hot reload', () => {
  test('a valid new config is swapped in; an invalid one keeps the old', async () => {
    const a = await startUpstream((_req, res) => (res.end('A'), true));
    const b = await startUpstream((_req, res) => (res.end('B'), true));
    const gw = await startTestGateway(proxyYaml(a.url), { watchConfig: true });
    try {
      const get = async () => (await request(`${gw.url}/x`)).body.text();
      assert.equal(await get(), 'A');
      writeFileSync(gw.configFile, proxyYaml(b.url));
      let answer = '';
      for (let i = 0; i < 50 && answer !== 'B'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        answer = await get();
      }
      assert.equal(answer, 'B', 'file change reloads the config');
      writeFileSync(gw.configFile, proxyYaml(a.url).replace('routes:', 'unknownKey: 1\nroutes:'));
      assert.equal(await gw.gateway.reload(), false, 'an invalid config is refused');
      assert.equal(await get(), 'B', 'the running config stays');
    } finally {
      await gw.close();
      await a.close();
      await b.close();
    }
  });

  test('in-flight requests finish on the config they started with', async () => {
    const slow = await startUpstream((_req, res) => {
      setTimeout(() => res.end('slow-old'), 400);
      return true;
    });
    const fast = await startUpstream((_req, res) => (res.end('new'), true));
    const gw = await startTestGateway(proxyYaml(slow.url));
    try {
      const inflight = request(`${gw.url}/x`).then((r) => r.body.text());
      await new Promise((r) => setTimeout(r, 100));
      writeFileSync(gw.configFile, proxyYaml(fast.url));
      assert.equal(await gw.gateway.reload(), true);
      assert.equal(await inflight, 'slow-old');
      assert.equal(await (await request(`${gw.url}/x`)).body.text(), 'new');
    } finally {
      await gw.close();
      await slow.close();
      await fast.close();
    }
  });
});

describe('graceful shutdown', () => {
  test('drains in-flight requests with zero failures', async () => {
    const slow = await startUpstream((_req, res) => {
      setTimeout(() => res.end('done'), 300);
      return true;
    });
    const gw = await startTestGateway(proxyYaml(slow.url));
    const agent = new Agent({ connections: 20 });
    let closing: Promise<void> | undefined;
    try {
      const all = Array.from({ length: 20 }, () =>
        request(`${gw.url}/x`, { dispatcher: agent }).then(async (r) => ({
          status: r.statusCode,
          body: await r.body.text(),
        })),
      );
      // In flight means arrived: wait until all 20 are being handled (a loaded machine is slow).
      for (let i = 0; i < 1500 && gw.gateway.current().inflight < 20; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(gw.gateway.current().inflight, 20);
      closing = gw.close();
      const results = await Promise.all(all);
      await closing;
      assert.equal(results.filter((r) => r.status === 200 && r.body === 'done').length, 20);
    } finally {
      // Also after a failed assertion: an open gateway would keep the test file running.
      await (closing ?? gw.close());
      await agent.close();
      await slow.close();
    }
  });
});

describe('WebSocket', () => {
  test('upgrades are proxied on routes that allow them, refused elsewhere', async () => {
    const upstream = await startUpstream();
    const wss = new WebSocketServer({ server: upstream.server });
    wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo:${m.toString()}`)));
    const yaml = proxyYaml(upstream.url).replace('    public: true\n', '    public: true\n    websocket: true\n');
    const gw = await startTestGateway(
      yaml.concat(`  - name: no-ws
    match: { path: /plain }
    upstream: app
    public: true
`),
    );
    try {
      const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/socket`);
      const reply = await new Promise<string>((resolve, reject) => {
        ws.on('open', () => ws.send('hi'));
        ws.on('message', (m) => resolve(m.toString()));
        ws.on('error', reject);
      });
      assert.equal(reply, 'echo:hi');
      ws.close();
      const refused = new WebSocket(`${gw.url.replace('http', 'ws')}/plain`);
      const status = await new Promise<number>((resolve) => {
        refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        refused.on('error', () => resolve(-1));
      });
      assert.equal(status, 404);
    } finally {
      wss.close();
      await gw.close();
      await upstream.close();
    }
  });
});

describe('trusted proxies', () => {
  test('X-Forwarded-For is believed only from a trusted peer', async () => {
    const upstream = await startUpstream();
    const untrusted = await startTestGateway(proxyYaml(upstream.url));
    const trusted = await startTestGateway(
      proxyYaml(upstream.url).replace('admin:', 'server:\n  trustedProxies: [loopback]\nadmin:'),
    );
    try {
      await (await request(`${untrusted.url}/x`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).body.dump();
      assert.equal(upstream.seen.at(-1)!.headers['x-forwarded-for'], '127.0.0.1');
      await (await request(`${trusted.url}/x`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).body.dump();
      assert.equal(upstream.seen.at(-1)!.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    } finally {
      await untrusted.close();
      await trusted.close();
      await upstream.close();
    }
  });
});
