import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exportJWK } from 'jose';
import { ConfigError } from '../../config/errors.js';
import { createKeySource, type IssuerConfig } from './issuer.js';
import { b64, ecKeys, nowSec, rawToken, rsaKeys, signAsym, signHs, signRawHs } from './test-tokens.js';
import { JwtVerifier, type TrustedIssuer } from './verifier.js';

const SECRET = 'k'.repeat(40);
const HS: IssuerConfig = {
  issuer: 'https://auth.example.com/',
  audience: 'api.example.com',
  algorithms: ['HS256'],
  secret: SECRET,
};
const rsa = rsaKeys();
const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const RS: IssuerConfig = {
  issuer: 'https://rs.example.com',
  audience: ['api.example.com'],
  algorithms: ['RS256'],
  keys: [{ kid: 'r1', alg: 'RS256', pem: rsaPem }],
  typ: 'at+jwt',
};
const ec = ecKeys();

async function trusted(name: string, config: IssuerConfig): Promise<TrustedIssuer> {
  return { name, config, keys: await createKeySource(config, ['authentication', 'issuers', name]) };
}

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: HS.issuer, aud: 'api.example.com', sub: 'alice', exp: nowSec() + 300, iat: nowSec(), ...extra };
}

describe('JwtVerifier: valid tokens', () => {
  let verifier: JwtVerifier;
  before(async () => {
    verifier = new JwtVerifier([await trusted('main', HS), await trusted('rs', RS)]);
  });

  test('HS256 token maps claims to an identity', async () => {
    const token = signHs({ alg: 'HS256', typ: 'JWT' }, claims({ roles: ['admin'], scope: 'read write' }), SECRET);
    const result = await verifier.verify(token);
    assert.ok(result.ok);
    assert.equal(result.identity.subject, 'alice');
    assert.equal(result.identity.issuer, HS.issuer);
    assert.deepEqual(result.identity.roles, ['admin']);
    assert.deepEqual(result.identity.scopes, ['read', 'write']);
  });

  test('RS256 token with typ at+jwt and scp array', async () => {
    const token = signAsym(
      { alg: 'RS256', kid: 'r1', typ: 'at+jwt' },
      claims({ iss: RS.issuer, scp: ['a', 'b'] }),
      rsa.privateKey,
    );
    const result = await verifier.verify(token);
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.identity.scopes, ['a', 'b']);
  });

  test('two issuers with the same sub are different principals (J-11)', async () => {
    const a = await verifier.verify(signHs({ alg: 'HS256' }, claims(), SECRET));
    const b = await verifier.verify(
      signAsym({ alg: 'RS256', kid: 'r1', typ: 'at+jwt' }, claims({ iss: RS.issuer }), rsa.privateKey),
    );
    assert.ok(a.ok && b.ok);
    assert.equal(a.identity.subject, b.identity.subject);
    assert.notEqual(a.identity.issuer, b.identity.issuer);
  });

  test('an issuer added at run time (the identity provider) is trusted from then on, once', async () => {
    const v = new JwtVerifier([]);
    const token = signHs({ alg: 'HS256' }, claims(), SECRET);
    assert.deepEqual(await v.verify(token), { ok: false, reason: 'unknown_issuer' });
    v.addIssuer(await trusted('idp', HS));
    assert.ok((await v.verify(token)).ok);
    assert.throws(() => v.addIssuer({ name: 'again', config: HS, keys: { getKey: async () => undefined } }));
  });

  test('a route can restrict which issuers it accepts', async () => {
    const token = signHs({ alg: 'HS256' }, claims(), SECRET);
    assert.deepEqual(await verifier.verify(token, new Set(['rs'])), { ok: false, reason: 'issuer_not_accepted_here' });
  });
});

describe('JwtVerifier: attack suite (each must be refused)', () => {
  let verifier: JwtVerifier;
  let jkuHits = 0;
  let jkuServer: Server;
  let jkuUrl: string;
  before(async () => {
    verifier = new JwtVerifier([await trusted('main', HS), await trusted('rs', RS)]);
    jkuServer = createServer((_req, res) => {
      jkuHits++;
      res.end('{"keys":[]}');
    });
    await new Promise<void>((r) => jkuServer.listen(0, '127.0.0.1', r));
    jkuUrl = `http://127.0.0.1:${(jkuServer.address() as AddressInfo).port}/jwks`;
  });
  after(() => jkuServer.close());

  async function refused(token: string, reason?: string): Promise<void> {
    const result = await verifier.verify(token);
    assert.equal(result.ok, false, 'token must be refused');
    if (reason !== undefined && !result.ok) assert.equal(result.reason, reason);
  }

  for (const alg of ['none', 'None', 'NONE', 'nOnE', 'NoNe']) {
    test(`alg "${alg}" with an empty signature`, async () => {
      await refused(rawToken(JSON.stringify({ alg }), JSON.stringify(claims())), 'alg_none');
    });
  }

  test('alg none with a signature still appended', async () => {
    await refused(signRawHs(JSON.stringify({ alg: 'none' }), JSON.stringify(claims()), SECRET), 'alg_none');
  });

  test('RS256 -> HS256 key confusion: HMAC keyed with the RSA public key', async () => {
    const token = signHs({ alg: 'HS256', kid: 'r1' }, claims({ iss: RS.issuer }), rsaPem);
    await refused(token, 'algorithm_not_allowed');
  });

  test('an issuer cannot mix HMAC and public-key algorithms', async () => {
    await assert.rejects(
      createKeySource({ ...RS, algorithms: ['RS256', 'HS256'] }, ['authentication', 'issuers', 'rs']),
      (e: unknown) => e instanceof ConfigError && e.path.at(-1) === 'algorithms',
    );
  });

  test('a public key configured for an HMAC algorithm is a config error', async () => {
    await assert.rejects(
      createKeySource({ ...HS, secret: undefined, keys: [{ alg: 'HS256', pem: rsaPem }] } as IssuerConfig, ['x']),
      ConfigError,
    );
  });

  test('a short HMAC secret is a config error (RFC 8725 §3.5)', async () => {
    await assert.rejects(createKeySource({ ...HS, secret: 'short' }, ['x']), ConfigError);
  });

  test('embedded jwk header (CVE-2018-0114)', async () => {
    const jwk = await exportJWK(ec.publicKey);
    const token = signAsym({ alg: 'ES256', jwk }, claims(), ec.privateKey);
    await refused(token, 'embedded_key');
  });

  for (const param of ['jku', 'x5u']) {
    test(`${param} pointing elsewhere is refused without fetching it`, async () => {
      const token = signAsym({ alg: 'ES256', [param]: jkuUrl }, claims({ iss: RS.issuer }), ec.privateKey);
      await refused(token, 'embedded_key');
      assert.equal(jkuHits, 0);
    });
  }

  test('x5c header', async () => {
    await refused(signHs({ alg: 'HS256', x5c: ['MIIB'] }, claims(), SECRET), 'embedded_key');
  });

  for (const kid of [
    '../../../../../../dev/null',
    '/dev/null',
    "x' UNION SELECT '1';--",
    '|sleep 10',
    'k'.repeat(300),
  ]) {
    test(`hostile kid ${JSON.stringify(kid.slice(0, 30))} is refused quickly`, async () => {
      const started = performance.now();
      await refused(signHs({ alg: 'HS256', kid }, claims(), ''));
      await refused(signAsym({ alg: 'RS256', kid, typ: 'at+jwt' }, claims({ iss: RS.issuer }), rsa.privateKey));
      // No lookup ever sleeps, reads a file or queries anything: bounded by CPU alone (generous for a loaded CI box).
      assert.ok(performance.now() - started < 1000);
    });
  }

  test('ECDSA r = s = 0 ("psychic signature", CVE-2022-21449)', async () => {
    const ecIssuer = await trusted('ec', {
      issuer: 'https://ec.example.com',
      audience: 'api.example.com',
      algorithms: ['ES256'],
      keys: [{ alg: 'ES256', jwk: (await exportJWK(ec.publicKey)) as Record<string, unknown> }],
    });
    const v = new JwtVerifier([ecIssuer]);
    const body = claims({ iss: 'https://ec.example.com' });
    const good = signAsym({ alg: 'ES256' }, body, ec.privateKey);
    assert.ok((await v.verify(good)).ok, 'control: a real ES256 signature verifies');
    const psychic = rawToken(JSON.stringify({ alg: 'ES256' }), JSON.stringify(body), Buffer.alloc(64));
    assert.deepEqual(await v.verify(psychic), { ok: false, reason: 'bad_signature' });
  });

  test('empty and truncated signatures', async () => {
    const good = signHs({ alg: 'HS256' }, claims(), SECRET);
    const [h, p, s] = good.split('.') as [string, string, string];
    await refused(`${h}.${p}.`);
    await refused(`${h}.${p}.${s.slice(0, 20)}`);
  });

  test('expired (beyond the clock tolerance)', async () => {
    await refused(signHs({ alg: 'HS256' }, claims({ exp: nowSec() - 120 }), SECRET), 'expired');
  });

  test('within the clock tolerance an expired token still passes (RFC 7519 §4.1.4 leeway)', async () => {
    assert.ok((await verifier.verify(signHs({ alg: 'HS256' }, claims({ exp: nowSec() - 5 }), SECRET))).ok);
  });

  test('missing exp', async () => {
    const c = claims();
    delete c.exp;
    await refused(signHs({ alg: 'HS256' }, c, SECRET));
  });

  test('nbf in the future', async () => {
    await refused(signHs({ alg: 'HS256' }, claims({ nbf: nowSec() + 600 }), SECRET));
  });

  test('iat in the future', async () => {
    await refused(signHs({ alg: 'HS256' }, claims({ iat: nowSec() + 600 }), SECRET), 'claim_invalid');
  });

  test('wrong iss (unknown issuer)', async () => {
    await refused(signHs({ alg: 'HS256' }, claims({ iss: 'https://evil.example.com/' }), SECRET), 'unknown_issuer');
  });

  test('valid signature from issuer A claiming issuer B (J-8)', async () => {
    await refused(signHs({ alg: 'HS256' }, claims({ iss: RS.issuer }), SECRET));
  });

  test('token for another audience', async () => {
    await refused(signHs({ alg: 'HS256' }, claims({ aud: 'other-api' }), SECRET), 'claim_invalid');
    await refused(signHs({ alg: 'HS256' }, claims({ aud: ['other-api', 'third'] }), SECRET), 'claim_invalid');
  });

  test('missing aud', async () => {
    const c = claims();
    delete c.aud;
    await refused(signHs({ alg: 'HS256' }, c, SECRET));
  });

  test('wrong typ where typ is configured (an ID token is not an access token)', async () => {
    await refused(signAsym({ alg: 'RS256', kid: 'r1', typ: 'JWT' }, claims({ iss: RS.issuer }), rsa.privateKey));
    await refused(signAsym({ alg: 'RS256', kid: 'r1' }, claims({ iss: RS.issuer }), rsa.privateKey));
  });

  test('oversized token', async () => {
    await refused(signHs({ alg: 'HS256' }, claims({ pad: 'x'.repeat(9000) }), SECRET), 'too_large');
  });

  test('malformed base64url', async () => {
    const good = signHs({ alg: 'HS256' }, claims(), SECRET);
    await refused(`${good.slice(0, 5)}!${good.slice(6)}`, 'not_compact_jws');
    await refused(good.replace('.', '=.'), 'not_compact_jws');
    // "eyJ" + a character whose low bits are non-zero in the last group: decodes leniently, not canonically.
    const [h, p, s] = good.split('.') as [string, string, string];
    await refused(`${h}.${p}x.${s}`);
  });

  test('malformed JSON in header or payload', async () => {
    await refused(signRawHs('{"alg":"HS256"', JSON.stringify(claims()), SECRET), 'bad_json');
    await refused(signRawHs('{"alg":"HS256"}', '{"sub":"a",}', SECRET), 'bad_json');
    await refused(signRawHs('["HS256"]', JSON.stringify(claims()), SECRET), 'header_not_object');
    await refused(`${b64(Buffer.from([0xff, 0xfe]))}.${b64('{}')}.`, 'bad_json');
  });

  test('duplicate members in the header', async () => {
    await refused(signRawHs('{"alg":"HS256","alg":"none"}', JSON.stringify(claims()), SECRET), 'bad_json');
  });

  test('duplicate claims in the payload (sub twice)', async () => {
    const json = JSON.stringify(claims()).replace('"sub":"alice"', '"sub":"alice","sub":"admin"');
    await refused(signRawHs('{"alg":"HS256"}', json, SECRET), 'bad_json');
  });

  test('crit and b64:false headers', async () => {
    await refused(signHs({ alg: 'HS256', crit: ['exp'] }, claims(), SECRET), 'crit');
    await refused(signHs({ alg: 'HS256', b64: false, crit: ['b64'] }, claims(), SECRET));
  });

  test('JWE and JSON serialization are not accepted', async () => {
    await refused('eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d', 'not_compact_jws');
    await refused(JSON.stringify({ payload: 'x', signature: 'y' }), 'not_compact_jws');
  });

  test('token without sub', async () => {
    const c = claims();
    delete c.sub;
    await refused(signHs({ alg: 'HS256' }, c, SECRET));
  });

  test('a revoked jti is refused', async () => {
    const v = new JwtVerifier([await trusted('main', HS)], { isRevoked: (_iss, c) => c.jti === 'gone' });
    assert.ok((await v.verify(signHs({ alg: 'HS256' }, claims({ jti: 'kept' }), SECRET))).ok);
    assert.deepEqual(await v.verify(signHs({ alg: 'HS256' }, claims({ jti: 'gone' }), SECRET)), {
      ok: false,
      reason: 'revoked',
    });
  });
});

describe('JwtVerifier: remote JWKS', () => {
  let server: Server;
  let url: string;
  let fetches = 0;
  let down = false;
  let served: object[] = [];
  const key1 = ecKeys();
  const key2 = ecKeys();
  const ISS = 'https://idp.example.com';

  before(async () => {
    served = [{ ...(await exportJWK(key1.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }];
    server = createServer((_req, res) => {
      fetches++;
      if (down) {
        res.statusCode = 503;
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/jwk-set+json');
      res.end(JSON.stringify({ keys: served }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  after(() => server.close());

  function token(kid: string, key = key1.privateKey): string {
    return signAsym({ alg: 'ES256', kid }, claims({ iss: ISS }), key);
  }

  test('unknown kid refreshes once per cooldown; rotation is picked up; an outage keeps cached keys', async () => {
    const config: IssuerConfig = {
      issuer: ISS,
      audience: 'api.example.com',
      algorithms: ['ES256'],
      jwksUrl: url,
      jwks: { cooldownSec: 0.5 },
    };
    const v = new JwtVerifier([await trusted('idp', config)]);
    assert.equal(fetches, 1, 'warmed at setup');
    assert.ok((await v.verify(token('k1'))).ok);

    for (let i = 0; i < 50; i++) await v.verify(token(`random-${i}`));
    assert.ok(fetches <= 2, `random kids caused ${fetches - 1} fetches inside one cooldown`);

    served = [...served, { ...(await exportJWK(key2.publicKey)), kid: 'k2', alg: 'ES256' }];
    await new Promise((r) => setTimeout(r, 1200));
    assert.ok((await v.verify(token('k2', key2.privateKey))).ok, 'rotated key found after cooldown');

    down = true;
    await new Promise((r) => setTimeout(r, 1200));
    assert.deepEqual(await v.verify(token('k3', key2.privateKey)), { ok: false, reason: 'no_key' });
    assert.ok((await v.verify(token('k1'))).ok, 'cached key still served while the JWKS endpoint is down');
    down = false;
  });

  test('plain http JWKS to a non-loopback host is a config error', async () => {
    await assert.rejects(
      createKeySource({ issuer: ISS, audience: 'a', algorithms: ['ES256'], jwksUrl: 'http://idp.example.com/jwks' }, [
        'i',
      ]),
      (e: unknown) => e instanceof ConfigError && e.path.at(-1) === 'jwksUrl',
    );
  });
});
