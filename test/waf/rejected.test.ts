/**
 * Requests the HTTP layer refuses before any route (parser errors, a bad Host, a refused path,
 * 404, 405, CONNECT) over raw sockets: the refusal is answered as before (problem+json, the
 * same status, nothing forwarded) and the top-level WAF still writes its rule lines and a
 * decision line carrying the HTTP layer's decision.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { proxyYaml, startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';
import { rawRequest, statusOf } from '../helpers/raw.js';

const RULES = `SecRule REQUEST_METHOD "!@within GET HEAD POST" "id:8001,phase:1,pass,log,msg:'method not allowed by policy'"
SecRule &REQUEST_HEADERS:Host "@eq 0" "id:8002,phase:1,pass,log,msg:'no Host'"
SecRule REQUEST_HEADERS:Host "@rx ^$" "id:8003,phase:1,pass,log,msg:'empty Host'"
SecRule ARGS "@rx (?i)union\\s+select" "id:8004,phase:2,pass,log,msg:'union select'"
SecRule REQUEST_FILENAME "@rx \\n" "id:8005,phase:1,pass,log,msg:'LF in path'"
SecRule REQUEST_PROTOCOL "!@within HTTP/1.0 HTTP/1.1 HTTP/2.0" "id:8006,phase:1,pass,log,msg:'protocol'"
SecRule REQUEST_HEADERS "@rx \\r" "id:8007,phase:1,pass,log,msg:'CR in a header'"
SecRule REQUEST_PROTOCOL "@rx ^$" "id:8008,phase:1,pass,log,msg:'no version'"
`;

const ROUTES = `routes:
  - name: get-only
    match: { path: "/get-only", methods: [GET] }
    upstream: app
    public: true
  - name: api
    match: { path: "/api/*" }
    upstream: app
    public: true
`;

type Line = Record<string, unknown>;

function auditLines(gw: TestGateway): Line[] {
  return readFileSync(join(gw.dir, 'audit.log'), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
}

/** The lines of the one transaction that logged `ruleId` among the lines written since `from`. */
function transactionOf(gw: TestGateway, from: number, ruleId: number): Line[] {
  const fresh = auditLines(gw).slice(from);
  const hit = fresh.find((l) => l['ruleId'] === ruleId);
  assert.ok(hit, `rule ${ruleId} logged: ${JSON.stringify(fresh)}`);
  return fresh.filter((l) => l['requestId'] === hit['requestId']);
}

function problemOf(response: string): { code: string; status: number; requestId: string } {
  const body = response.slice(response.indexOf('\r\n\r\n') + 4);
  return JSON.parse(body) as { code: string; status: number; requestId: string };
}

const HEAD = 'Host: localhost\r\nUser-Agent: test\r\n';

describe('requests refused before routing, with a top-level WAF', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startTestGateway(
      proxyYaml(upstream.url, '').replace(/routes:[\s\S]*$/, ROUTES) +
        'waf:\n  rules: [rules.conf]\n  mode: block\n  auditLog: { path: audit.log }\n',
      { files: { 'rules.conf': RULES } },
    );
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  test('an unknown method: 501 problem+json, Connection: close, rule and decision lines', async () => {
    const from = auditLines(gw).length;
    const seen = upstream.seen.length;
    const res = await rawRequest(gw.port, `TEST /api/x?q=1+union+select+2 HTTP/1.1\r\n${HEAD}\r\n`);
    assert.equal(statusOf(res), 501);
    assert.match(res, /\r\nConnection: close\r\n/i);
    assert.match(res, /\r\nContent-Type: application\/problem\+json\r\n/i);
    const problem = problemOf(res);
    assert.equal(problem.code, 'PC_ERR_METHOD_NOT_IMPLEMENTED');
    const lines = transactionOf(gw, from, 8001);
    assert.equal(lines[0]?.['requestId'], problem.requestId);
    assert.ok(lines.some((l) => l['ruleId'] === 8004));
    const decision = lines.find((l) => l['decision'] !== undefined);
    assert.equal(decision?.['decision'], 'method_not_implemented');
    assert.equal(decision?.['status'], 501);
    assert.equal(decision?.['layer'], 'http');
    assert.equal(upstream.seen.length, seen);
  });

  test('a malformed request line (tab before the method) gets a 400 status line, not a silent close', async () => {
    const res = await rawRequest(gw.port, `\tGET /api/x HTTP/1.1\r\n${HEAD}\r\n`);
    assert.equal(statusOf(res), 400);
    assert.equal(problemOf(res).code, 'PC_ERR_BAD_REQUEST');
  });

  test('an unsupported HTTP version is refused and logged', async () => {
    const from = auditLines(gw).length;
    const res = await rawRequest(gw.port, `GET /api/x HTTP/4.0\r\n${HEAD}\r\n`);
    assert.equal(statusOf(res), 400);
    const decision = transactionOf(gw, from, 8006).find((l) => l['decision'] !== undefined);
    assert.equal(decision?.['decision'], 'bad_request');
  });

  test('a bare CR in a field: 400 from the parser; the WAF reads it as a space (RFC 9112 §2.2)', async () => {
    const from = auditLines(gw).length;
    const res = await rawRequest(
      gw.port,
      `GET /api/x?q=1+union+select+2 HTTP/1.1\r\n${HEAD}X-A: a\rInjected: b\r\n\r\n`,
    );
    assert.equal(statusOf(res), 400);
    const lines = transactionOf(gw, from, 8004);
    assert.ok(!lines.some((l) => l['ruleId'] === 8007), JSON.stringify(lines));
  });

  test('NUL in a header value: 400', async () => {
    const seen = upstream.seen.length;
    const res = await rawRequest(gw.port, Buffer.from(`GET /api/x HTTP/1.1\r\n${HEAD}X-A: a\x00b\r\n\r\n`, 'latin1'));
    assert.equal(statusOf(res), 400);
    assert.equal(upstream.seen.length, seen);
  });

  test('HTTP/1.1 without Host: 400, logged; HTTP/1.0 without Host is served', async () => {
    const from = auditLines(gw).length;
    const res = await rawRequest(gw.port, 'GET /api/x HTTP/1.1\r\nUser-Agent: test\r\n\r\n');
    assert.equal(statusOf(res), 400);
    assert.equal(problemOf(res).code, 'PC_ERR_BAD_REQUEST');
    assert.match(res, /\r\nconnection: close\r\n/i);
    const decision = transactionOf(gw, from, 8002).find((l) => l['decision'] !== undefined);
    assert.equal(decision?.['decision'], 'bad_request');
    assert.equal(decision?.['reason'], 'no Host header');
    const old = await rawRequest(gw.port, 'GET /api/x HTTP/1.0\r\nUser-Agent: test\r\n\r\n');
    assert.equal(statusOf(old), 200);
  });

  test('an empty or invalid Host: 400', async () => {
    const from = auditLines(gw).length;
    assert.equal(statusOf(await rawRequest(gw.port, 'GET /api/x HTTP/1.1\r\nHost: \r\n\r\n')), 400);
    transactionOf(gw, from, 8003);
    for (const host of ['localhost%00', 'localhost%1F', 'a b', 'a/b', 'a@b']) {
      const res = await rawRequest(gw.port, `GET /api/x HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      assert.equal(statusOf(res), 400, host);
    }
    for (const host of ['localhost', 'localhost:8080', '127.0.0.1:1', '[::1]:80', 'xn--bcher-kva.example']) {
      const res = await rawRequest(gw.port, `GET /api/x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      assert.equal(statusOf(res), 200, host);
    }
  });

  test('a request line without a version gets an HTTP/0.9 answer: the body, no status line', async () => {
    const from = auditLines(gw).length;
    const res = await rawRequest(gw.port, `GET /api/x \r\n${HEAD}\r\n`);
    assert.ok(!res.startsWith('HTTP/'), res);
    assert.equal((JSON.parse(res) as { code: string }).code, 'PC_ERR_BAD_REQUEST');
    const decision = transactionOf(gw, from, 8008).find((l) => l['decision'] !== undefined);
    assert.equal(decision?.['decision'], 'bad_request');
  });

  test('HTTP/0.9 on the request line: 400', async () => {
    const res = await rawRequest(gw.port, `GET /api/x HTTP/0.9\r\n${HEAD}\r\n`);
    assert.equal(statusOf(res), 400);
  });

  test('a refused path (encoded LF) still answers PC_ERR_BAD_PATH, after the WAF logged it', async () => {
    const from = auditLines(gw).length;
    const res = await rawRequest(gw.port, `GET /api/foo%0Abar HTTP/1.1\r\n${HEAD}Connection: close\r\n\r\n`);
    assert.equal(statusOf(res), 400);
    assert.equal(problemOf(res).code, 'PC_ERR_BAD_PATH');
    const decision = transactionOf(gw, from, 8005).find((l) => l['decision'] !== undefined);
    assert.equal(decision?.['decision'], 'bad_request');
  });

  test('405 and 404 keep their status and are inspected; block mode does not turn them into 403', async () => {
    const from = auditLines(gw).length;
    const res = await rawRequest(gw.port, `PROPFIND /get-only HTTP/1.1\r\n${HEAD}Connection: close\r\n\r\n`);
    assert.equal(statusOf(res), 405);
    assert.match(res, /\r\nallow: GET\r\n/i);
    const decision = transactionOf(gw, from, 8001).find((l) => l['decision'] !== undefined);
    assert.equal(decision?.['decision'], 'method_not_allowed');
    const from404 = auditLines(gw).length;
    const notFound = await rawRequest(
      gw.port,
      `GET /nowhere?q=1+union+select+2 HTTP/1.1\r\n${HEAD}Connection: close\r\n\r\n`,
    );
    assert.equal(statusOf(notFound), 404);
    assert.equal(transactionOf(gw, from404, 8004).find((l) => l['decision'] !== undefined)?.['decision'], 'not_found');
  });

  test('CONNECT: 501 for host:port, 400 for another target form; both inspected', async () => {
    const from = auditLines(gw).length;
    const ok = await rawRequest(gw.port, `CONNECT example.org:443 HTTP/1.1\r\n${HEAD}\r\n`);
    assert.equal(statusOf(ok), 501);
    assert.equal(problemOf(ok).code, 'PC_ERR_METHOD_NOT_IMPLEMENTED');
    transactionOf(gw, from, 8001);
    const bad = await rawRequest(gw.port, `CONNECT example.org HTTP/1.1\r\n${HEAD}\r\n`);
    assert.equal(statusOf(bad), 400);
  });

  test('a parse error after a pipelined request waits for that request’s answer', async () => {
    const res = await rawRequest(gw.port, `POST /api/x HTTP/1.1\r\n${HEAD}\r\n{"id":"select(sleep(10))"}`);
    assert.equal(statusOf(res), 200, res);
    const second = res.indexOf('HTTP/1.1 ', 5);
    assert.ok(second > 0, res);
    assert.equal(statusOf(res.slice(second)), 400);
  });
});

describe('requests refused before routing, without a WAF', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startTestGateway(proxyYaml(upstream.url));
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  test('the same answers: 501, 400, 404', async () => {
    assert.equal(statusOf(await rawRequest(gw.port, `TEST / HTTP/1.1\r\n${HEAD}\r\n`)), 501);
    assert.equal(statusOf(await rawRequest(gw.port, `GET / HTTP/4.0\r\n${HEAD}\r\n`)), 400);
    assert.equal(statusOf(await rawRequest(gw.port, 'GET / HTTP/1.1\r\n\r\n')), 400);
    assert.equal(
      statusOf(await rawRequest(gw.port, `GET /%2e%2e/x HTTP/1.1\r\n${HEAD}Connection: close\r\n\r\n`)),
      400,
    );
    assert.equal(statusOf(await rawRequest(gw.port, `CONNECT a:1 HTTP/1.1\r\n${HEAD}\r\n`)), 501);
  });

  test('a WebSocket upgrade without Host is refused too (RFC 9112 §3.2)', async () => {
    const res = await rawRequest(gw.port, 'GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    assert.equal(statusOf(res), 400);
    assert.equal(problemOf(res).code, 'PC_ERR_BAD_REQUEST');
  });
});

describe('waf.inspectRejected: false', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startTestGateway(
      `${proxyYaml(upstream.url)}waf:\n  rules: [rules.conf]\n  inspectRejected: false\n  auditLog: { path: audit.log }\n`,
      { files: { 'rules.conf': RULES } },
    );
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  test('refusals write no WAF lines; routed requests still do', async () => {
    assert.equal(statusOf(await rawRequest(gw.port, `TEST / HTTP/1.1\r\n${HEAD}\r\n`)), 501);
    assert.equal(statusOf(await rawRequest(gw.port, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n')), 400);
    assert.deepEqual(auditLines(gw), []);
    const res = await rawRequest(gw.port, `DELETE /x HTTP/1.1\r\n${HEAD}Connection: close\r\n\r\n`);
    assert.equal(statusOf(res), 200);
    assert.ok(auditLines(gw).some((l) => l['ruleId'] === 8001));
  });
});

describe('waf.mode: off, inspectRejected unset', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startTestGateway(
      `${proxyYaml(upstream.url)}waf:\n  rules: [rules.conf]\n  mode: off\n  auditLog: { path: audit.log }\n`,
      { files: { 'rules.conf': RULES } },
    );
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  test('refusals are not inspected when the WAF is off', async () => {
    assert.equal(statusOf(await rawRequest(gw.port, `TEST / HTTP/1.1\r\n${HEAD}\r\n`)), 501);
    assert.deepEqual(auditLines(gw), []);
  });
});
