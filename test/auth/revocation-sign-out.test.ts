import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createPrivateKey, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import pino from 'pino';
import { Accounts } from '../../src/idp/accounts.js';
import { openStore } from '../../src/store/store.js';
import {
  gatewayYaml,
  startTestGateway,
  startUpstream,
  type TestGateway,
  type TestUpstream,
} from '../helpers/gateway.js';
import { REDIS_URL, redisSkipReason } from '../helpers/redis.js';

const ISSUER = 'https://localhost:8443';
const PASSWORD = 'marble orchard lighthouse';
const NEW_PASSWORD = 'copper meadow twilight';
const worker = fileURLToPath(new URL('./gateway-worker.ts', import.meta.url));

const skip = await redisSkipReason();

/**
 * Two gateway instances in separate OS processes, one SQLite store, the Redis revocation bus: the
 * password is changed through instance A; instance B must refuse the user's older access token
 * within 1 s of the cutoff and accept a token issued after it. The token is a JWT of the built-in
 * issuer, verified without the store, so only the bus can have told B.
 */
describe('sign out everywhere across two gateway processes (Redis bus)', { skip }, () => {
  let upstream: TestUpstream;
  let a: TestGateway;
  let b: ChildProcess | undefined;
  let bUrl: string;
  let dir: string;
  let userId: string;
  const prefix = `pc-test-${randomUUID()}:`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pc-signout-'));
    const dataDir = join(dir, 'data');
    const store = await openStore(undefined, { dataDir, configDir: dataDir, logger: pino({ level: 'silent' }) });
    userId = (await new Accounts(store).createUser({ username: 'gail', password: PASSWORD })).id;
    await store.close();
    upstream = await startUpstream();
    const yaml = gatewayYaml(
      upstream.url,
      `authentication:
  revocation: { bus: redis, redis: { url: "${REDIS_URL}", keyPrefix: "${prefix}" } }
identityProvider:
  issuer: ${ISSUER}
routes:
  - name: idp
    match: { path: "/auth/*", methods: [GET, POST] }
    upstream: internal:idp
    public: true
  - name: api
    match: { path: /api, methods: [GET] }
    upstream: app
    auth: { accept: [jwt] }
`,
      dataDir,
    );
    a = await startTestGateway(yaml);
    const file = join(dir, 'b.yaml');
    writeFileSync(file, yaml);
    b = spawn(process.execPath, ['--import', 'tsx', worker, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: b.stdout! })[Symbol.asyncIterator]();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('gateway B did not start in 30 s')), 30_000);
    });
    const first = await Promise.race([lines.next(), timeout]).finally(() => clearTimeout(timer));
    if (first.done) throw new Error('gateway B exited');
    bUrl = (JSON.parse(first.value) as { url: string }).url;
  });
  after(async () => {
    const exited = b && b.exitCode === null ? new Promise((r) => b!.once('exit', r)) : undefined;
    b?.kill('SIGTERM');
    await exited;
    await a?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** An access token of the built-in issuer for gail, signed with the active key, as the provider would. */
  async function accessToken(iat: number): Promise<string> {
    const store = await openStore(undefined, {
      dataDir: join(dir, 'data'),
      configDir: dir,
      logger: pino({ level: 'silent' }),
    });
    try {
      const key = (await store.signingKeys.list()).find((k) => k.retiredAt === null)!;
      return await new SignJWT({ scope: 'api' })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
        .setIssuer(ISSUER)
        .setAudience(ISSUER)
        .setSubject(userId)
        .setIssuedAt(iat)
        .setExpirationTime(iat + 600)
        .sign(createPrivateKey(key.privateKey));
    } finally {
      await store.close();
    }
  }

  const api = (base: string, token: string) => fetch(`${base}/api`, { headers: { authorization: `Bearer ${token}` } });

  test('a password change on A: B refuses the older token within 1 s of the cutoff, accepts a newer one', async (t) => {
    const old = await accessToken(Math.floor(Date.now() / 1000) - 5);
    assert.equal((await api(bUrl, old)).status, 200, 'B accepts it before');
    const login = await fetch(`${a.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'gail', password: PASSWORD }),
    });
    assert.equal(login.status, 200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const change = fetch(`${a.url}/auth/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ current_password: PASSWORD, new_password: NEW_PASSWORD }),
    });
    let refusedAt: number | undefined;
    const deadline = Date.now() + 5000;
    while (refusedAt === undefined && Date.now() < deadline) {
      const res = await api(bUrl, old);
      if (res.status === 401) {
        refusedAt = Date.now();
        assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      } else await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal((await change).status, 200);
    assert.ok(refusedAt !== undefined, 'B never refused the older token');
    const redis = new Redis(REDIS_URL);
    const value = await redis.hget(`${prefix}revoked`, `cutoff\u0000${userId}`);
    await redis.del(`${prefix}revoked`);
    redis.disconnect();
    const issuedBefore = Number(value?.split(' ')[1]);
    assert.ok(Number.isFinite(issuedBefore), `the cutoff in the Redis hash: ${value}`);
    const took = refusedAt - issuedBefore;
    assert.ok(took < 1000, `B refused it ${took} ms after the cutoff`);
    t.diagnostic(`gateway B refused the older token ${took} ms after the cutoff published by A (Redis)`);
    const fresh = await accessToken(Math.floor(Date.now() / 1000));
    assert.equal((await api(bUrl, fresh)).status, 200, 'B accepts a token issued after the cutoff');
    assert.equal((await api(a.url, fresh)).status, 200);
    assert.equal((await api(a.url, old)).status, 401);
  });
});
