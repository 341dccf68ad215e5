import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { request } from 'undici';
import { proxyYaml, startTestGateway, startUpstream } from '../helpers/gateway.js';

describe('access log and metrics', () => {
  test('one JSON access line per request and Prometheus metrics on the admin listener', async () => {
    const upstream = await startUpstream();
    const yaml = proxyYaml(upstream.url)
      .replace('admin:\n  enabled: false', 'admin:\n  port: 0')
      .replace('log:\n  access: false', 'log:\n  access: true\n  file: access.log');
    const gw = await startTestGateway(yaml, { configLogger: true });
    try {
      // the gateway's own logger writes the file (the test helper only silences the default one)
      await (await request(`${gw.url}/items?id=1`, { headers: { authorization: 'Bearer secret-token' } })).body.dump();
      const adminUrl = `http://127.0.0.1:${gw.gateway.admin!.address.port}`;
      const metrics = await (await request(`${adminUrl}/metrics`)).body.text();
      assert.match(metrics, /portcullis_requests_total\{route="all",status="200",decision="allowed"\} 1/);
      assert.match(metrics, /portcullis_request_duration_seconds_bucket/);
      assert.match(metrics, /process_resident_memory_bytes/);
      const health = await request(`${adminUrl}/healthz`);
      assert.equal(health.statusCode, 200);
      await health.body.dump();
      const ready = await request(`${adminUrl}/readyz`);
      assert.equal(ready.statusCode, 200);
      await ready.body.dump();
    } finally {
      await gw.close();
      await upstream.close();
    }
    await new Promise((r) => setTimeout(r, 200));
    const lines = readFileSync(join(gw.dir, 'access.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.kind === 'access');
    assert.equal(lines.length, 1);
    const line = lines[0]!;
    for (const key of [
      'requestId',
      'route',
      'method',
      'path',
      'status',
      'decision',
      'upstreamMs',
      'totalMs',
      'clientIp',
    ]) {
      assert.ok(key in line, `access line has ${key}`);
    }
    assert.equal(line.path, '/items');
    assert.equal(line.decision, 'allowed');
    assert.ok(!JSON.stringify(lines).includes('secret-token'), 'credentials are never logged');
  });
});

describe('streaming', () => {
  test('a large upload streams through without being buffered (bounded memory)', async () => {
    let received = 0;
    const upstream = await startUpstream();
    // Count bytes as they arrive instead of keeping them.
    upstream.server.removeAllListeners('request');
    upstream.server.on('request', (req, res) => {
      req.on('data', (c: Buffer) => {
        received += c.length;
      });
      req.on('end', () => res.end(String(received)));
    });
    const gw = await startTestGateway(
      proxyYaml(upstream.url).replace('admin:', 'server:\n  limits:\n    maxBodyBytes: 2000000000\nadmin:'),
    );
    try {
      const total = 256 * 1024 * 1024;
      const chunk = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      const body = new Readable({
        read() {
          if (sent >= total) {
            this.push(null);
            return;
          }
          sent += chunk.length;
          this.push(chunk);
        },
      });
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 20);
      const res = await request(`${gw.url}/upload`, {
        method: 'POST',
        body,
        headers: { 'content-length': String(total) },
      });
      const text = await res.body.text();
      clearInterval(sampler);
      assert.equal(res.statusCode, 200);
      assert.equal(Number(text), total);
      // Client, gateway and upstream share this process: 256 MB passed through all three.
      assert.ok(peak - before < 96 * 1024 * 1024, `RSS grew by ${Math.round((peak - before) / 1048576)} MB`);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});
