import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { Accounts } from '../../src/idp/accounts.js';
import { openStore } from '../../src/store/store.js';
import { gatewayYaml, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { assertSameTiming } from '../helpers/timing.js';

let gw: TestGateway;
before(async () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'pc-idp-timing-')), 'data');
  const store = await openStore(undefined, { dataDir, configDir: dataDir, logger: pino({ level: 'silent' }) });
  await new Accounts(store).createUser({ username: 'known', password: 'quartz lantern harbour' });
  await store.close();
  // Throttle and lockout out of the way: this measures the answer itself, not the back-off.
  gw = await startTestGateway(
    gatewayYaml(
      'http://127.0.0.1:9',
      `rateLimit:
  login: { accountFreeAttempts: 100000, ipFreeAttempts: 100000 }
identityProvider:
  issuer: https://localhost:8443
  lockout: { maxFailures: 0 }
routes:
  - name: idp
    match: { path: "/auth/*", methods: [GET, POST] }
    upstream: internal:idp
    public: true
`,
      dataDir,
    ),
  );
});
after(() => gw?.close());

test('over HTTP, unknown user vs wrong password: same answer, medians within 10 % over 200 interleaved tries', async (t) => {
  const attempt = async (username: string, i: number) => {
    const start = process.hrtime.bigint();
    const res = await fetch(`${gw.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: `not it ${i}` }),
    });
    const body = (await res.text()).replace(/"requestId":"[^"]*"/, '');
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, status: res.status, body };
  };
  await attempt('warm-up', 0);
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 200; i++) {
    const a = await attempt('known', i);
    const b = await attempt(`ghost-${i}`, i);
    assert.equal(a.status, 401);
    assert.equal(a.body, b.body);
    known.push(a.ms);
    unknown.push(b.ms);
  }
  assertSameTiming(t, known, unknown);
});
