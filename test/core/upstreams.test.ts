import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { request } from 'undici';
import { createTestCa, issueServerCert } from '../../src/tls/index.js';
import { proxyYaml, startTestGateway, startUpstream } from '../helpers/gateway.js';

describe('upstreams', () => {
  test('active health checks take a failing target out and put it back', async () => {
    let healthy = true;
    const a = await startUpstream((req, res) => {
      if (req.url === '/health') {
        res.writeHead(healthy ? 200 : 500);
        res.end();
        return true;
      }
      res.end('A');
      return true;
    });
    const b = await startUpstream((_req, res) => (res.end('B'), true));
    const yaml = proxyYaml(a.url).replace(
      `targets: ["${a.url}"]`,
      `targets: ["${a.url}", "${b.url}"]\n    healthCheck: { path: /health, intervalMs: 100, timeoutMs: 500, unhealthyAfter: 1, healthyAfter: 1 }`,
    );
    const gw = await startTestGateway(yaml);
    const answers = async (n: number) => {
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) seen.add(await (await request(`${gw.url}/x`)).body.text());
      return seen;
    };
    try {
      assert.deepEqual([...(await answers(6))].sort(), ['A', 'B']);
      healthy = false;
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual([...(await answers(6))], ['B']);
      healthy = true;
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual([...(await answers(6))].sort(), ['A', 'B']);
    } finally {
      await gw.close();
      await a.close();
      await b.close();
    }
  });

  test('least-connections prefers the idle target', async () => {
    const slow = await startUpstream((_req, res) => {
      setTimeout(() => res.end('slow'), 500);
      return true;
    });
    const fast = await startUpstream((_req, res) => (res.end('fast'), true));
    const yaml = proxyYaml(slow.url).replace(
      `targets: ["${slow.url}"]`,
      `targets: ["${slow.url}", "${fast.url}"]\n    balance: least-connections`,
    );
    const gw = await startTestGateway(yaml);
    try {
      const pending = request(`${gw.url}/x`).then((r) => r.body.text());
      await new Promise((r) => setTimeout(r, 100));
      const next = [];
      for (let i = 0; i < 3; i++) next.push(await (await request(`${gw.url}/x`)).body.text());
      assert.equal(await pending, 'slow');
      assert.deepEqual(next, ['fast', 'fast', 'fast']);
    } finally {
      await gw.close();
      await slow.close();
      await fast.close();
    }
  });

  test('stripPrefix and addPrefix rewrite the upstream path', async () => {
    const up = await startUpstream();
    const yaml = proxyYaml(up.url).replace(
      '    public: true\n',
      '    public: true\n    stripPrefix: /api\n    addPrefix: /v2\n',
    );
    const gw = await startTestGateway(yaml);
    try {
      await (await request(`${gw.url}/api/items?x=1`)).body.dump();
      assert.equal(up.seen.at(-1)!.url, '/v2/items?x=1');
    } finally {
      await gw.close();
      await up.close();
    }
  });

  test('TLS to the upstream is verified against the configured CA', async () => {
    const ca = await createTestCa();
    const pair = await issueServerCert(ca, ['localhost']);
    const server = https.createServer({ cert: pair.certPem, key: pair.keyPem }, (_req, res) => res.end('secure'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const target = `https://127.0.0.1:${port}`;
    const verified = proxyYaml(target).replace(
      `targets: ["${target}"]`,
      `targets: ["${target}"]\n    tls: { ca: ca.pem, serverName: localhost }`,
    );
    const unverified = proxyYaml(target);
    const good = await startTestGateway(verified, { files: { 'ca.pem': ca.certPem } });
    const bad = await startTestGateway(unverified);
    try {
      assert.equal(await (await request(`${good.url}/x`)).body.text(), 'secure');
      const refused = await request(`${bad.url}/x`);
      await refused.body.dump();
      assert.equal(refused.statusCode, 502, 'an unknown CA is refused');
    } finally {
      await good.close();
      await bad.close();
      server.close();
    }
  });
  test('the body timeout defaults to the headers timeout', async () => {
    const up = await startUpstream((_req, res) => {
      res.writeHead(200);
      res.write('first');
      setTimeout(() => res.end('last'), 1500);
      return true;
    });
    const yaml = proxyYaml(up.url).replace(
      `targets: ["${up.url}"]`,
      `targets: ["${up.url}"]\n    timeouts: { headersMs: 300 }`,
    );
    const gw = await startTestGateway(yaml);
    try {
      const res = await request(`${gw.url}/x`);
      assert.equal(res.statusCode, 200);
      const started = Date.now();
      await assert.rejects(res.body.text(), 'a body gap longer than headersMs cuts the answer');
      assert.ok(Date.now() - started < 1400, 'cut at the body timeout, not when the upstream ended');
    } finally {
      await gw.close();
      await up.close();
    }
  });
});

describe('a client that goes away', () => {
  /** Sends a request head on a raw socket and cuts the connection after `afterMs`. */
  const abandon = (port: number, path: string, afterMs: number) =>
    new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, afterMs);
      });
    });
  /** Upstream connections opened so far, and how many of them have closed. */
  const countConnections = (server: http.Server) => {
    const counts = { opened: 0, closed: 0 };
    server.on('connection', (socket: Socket) => {
      counts.opened++;
      socket.on('close', () => counts.closed++);
    });
    return counts;
  };
  const until = async (what: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!what() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    return what();
  };

  test('a short answer is read and dropped: the upstream connection is kept and reused', async () => {
    let answered = 0;
    const up = await startUpstream((req, res) => {
      const delay = req.url === '/slow' ? 150 : 0;
      setTimeout(() => {
        res.end('x'.repeat(1000));
        answered++;
      }, delay);
      return true;
    });
    const counts = countConnections(up.server);
    const gw = await startTestGateway(proxyYaml(up.url));
    try {
      await abandon(gw.port, '/slow', 30);
      assert.ok(await until(() => answered === 1, 2000), 'the upstream answered');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(counts.closed, 0, 'the upstream connection survived the abandoned request');
      const res = await request(`${gw.url}/fast`);
      assert.equal(res.statusCode, 200);
      assert.equal((await res.body.text()).length, 1000);
      assert.equal(counts.opened, 1, 'the next request reused the connection');
    } finally {
      await gw.close();
      await up.close();
    }
  });

  test('an answer too slow or too large to drain is cut with its connection', async () => {
    const up = await startUpstream((req, res) => {
      if (req.url === '/never') return true; // holds the answer back
      res.writeHead(200);
      res.write(Buffer.alloc(256 * 1024, 'a'));
      return true; // and never ends it
    });
    const counts = countConnections(up.server);
    const gw = await startTestGateway(proxyYaml(up.url));
    try {
      await abandon(gw.port, '/never', 30);
      // DRAIN_MS is 1 s: the connection goes soon after, not at the 30 s headers timeout.
      assert.ok(await until(() => counts.closed === 1, 3000), 'the slow exchange was cut');
      await abandon(gw.port, '/large', 100);
      assert.ok(await until(() => counts.closed === 2, 3000), 'the large answer was cut');
    } finally {
      await gw.close();
      await up.close();
    }
  });
});

describe('cluster mode', () => {
  test('server.workers runs several processes sharing the port', { timeout: 200_000 }, async () => {
    const up = await startUpstream((_req, res) => (res.end('ok'), true));
    const dir = mkdtempSync(join(tmpdir(), 'pc-cluster-'));
    const port = 18000 + Math.floor(Math.random() * 900) + 100;
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      proxyYaml(up.url).replace('port: 0', `port: ${port}`).replace('admin:', 'server:\n  workers: 2\nadmin:'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--config', file], {
      cwd: new URL('../..', import.meta.url).pathname,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    try {
      const pids = new Set<number>();
      const deadline = Date.now() + 170_000;
      while (Date.now() < deadline && pids.size < 2) {
        try {
          const res = await request(`http://127.0.0.1:${port}/x`, { reset: true });
          await res.body.dump();
        } catch {
          // not listening yet
        }
        for (const l of output.match(/"pid":(\d+)[^\n]*"msg":"listening"/g) ?? [])
          pids.add(Number(/"pid":(\d+)/.exec(l)![1]));
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(pids.size, 2, output);
      assert.match(output, /starting 2 workers/);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const hard = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(hard);
      await up.close();
    }
  });
});
