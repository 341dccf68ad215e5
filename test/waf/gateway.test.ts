/**
 * The waf stage inside the real gateway, over sockets: blocking answers 403 problem+json with
 * the request id and no rule details, the upstream never sees the attack, the audit log gets
 * the JSON lines, and per-route settings apply.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.js';

const RULES = `SecRule ARGS "@rx (?i)union\\s+select" "id:7001,phase:2,pass,t:none,t:urlDecodeUni,msg:'union select',logdata:'Matched Data: %{MATCHED_VAR} found within %{MATCHED_VAR_NAME}',setvar:'tx.blocking_inbound_anomaly_score=+5'"
SecRule TX:blocking_inbound_anomaly_score "@ge %{tx.inbound_anomaly_score_threshold}" "id:7900,phase:2,deny,msg:'Inbound Anomaly Score Exceeded (Total Score: %{TX.BLOCKING_INBOUND_ANOMALY_SCORE})'"
`;

describe('waf stage in the gateway', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startUpstream();
    gw = await startTestGateway(
      `dataDir: ./data
listeners:
  - protocol: http
    host: 127.0.0.1
    port: 0
admin:
  enabled: false
log:
  access: false
upstreams:
  app:
    targets: ["${upstream.url}"]
routes:
  - name: relaxed
    match: { path: "/relaxed/*" }
    upstream: app
    public: true
    waf:
      mode: detect
  - name: all
    match: { path: "/*" }
    upstream: app
    public: true
waf:
  rules: [rules.conf]
  auditLog: { path: audit.log }
`,
      { files: { 'rules.conf': RULES } },
    );
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  test('an attack gets 403 problem+json with the request id and no rule details', async () => {
    const seenBefore = upstream.seen.length;
    const res = await fetch(`${gw.url}/search?q=1%20UNION%20SELECT%20password`);
    assert.equal(res.status, 403);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    const body = (await res.json()) as { code: string; requestId: string };
    assert.equal(body.code, 'PC_ERR_WAF_BLOCKED');
    assert.ok(body.requestId);
    assert.doesNotMatch(JSON.stringify(body), /7001|7900|union/i);
    assert.equal(upstream.seen.length, seenBefore);
    const lines = readFileSync(join(gw.dir, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // No crs key: the baseline rules run first and their anomaly evaluation blocks.
    const mine = lines.filter((l) => l['requestId'] === body.requestId);
    const sqli = mine.find((l) => l['ruleId'] === 9100040);
    assert.ok(sqli, `baseline SQLi rule logged: ${JSON.stringify(mine)}`);
    assert.deepEqual(sqli['variables'], ['ARGS:q']);
    assert.equal(sqli['client_ip'], '127.0.0.1');
    const decision = mine.find((l) => l['decision'] !== undefined);
    assert.equal(decision?.['decision'], 'blocked');
    assert.equal(decision?.['inbound_score'], 5);
  });

  test('a clean request and a POST body pass through', async () => {
    assert.equal((await fetch(`${gw.url}/search?q=hello`)).status, 200);
    const res = await fetch(`${gw.url}/form`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=alice',
    });
    assert.equal(res.status, 200);
    const blocked = await fetch(`${gw.url}/form`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=x%27+union+select+1',
    });
    assert.equal(blocked.status, 403);
  });

  test('a detect-mode route only logs', async () => {
    assert.equal((await fetch(`${gw.url}/relaxed/x?q=1%20union%20select%202`)).status, 200);
  });
});
