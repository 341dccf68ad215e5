import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Identity } from '../pipeline/identity.js';

export interface GatewayTokenOptions {
  /** `iss` of the tokens the gateway mints. */
  readonly issuer: string;
  /** `aud`, when the backends check one. */
  readonly audience?: string;
  /** Lifetime in seconds (short: the token travels one hop). */
  readonly ttlSec: number;
}

/** Claims upstreams receive in the identity token. */
export interface GatewayClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud?: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  /** Request id (X-Request-Id) of the request this token rides on. */
  readonly rid: string;
  /** RFC 8176-style authentication method: jwt, introspection, apiKey, basic, session, mtls. */
  readonly amr: readonly string[];
  readonly roles: readonly string[];
  readonly scope: string;
  /** Issuer of the original credential, when there is one. */
  readonly idp?: string;
  readonly client_id?: string;
  readonly plan?: string;
}

/**
 * Mints the short-lived ES256 token the gateway forwards to backends, and serves the JWKS they
 * verify it with. Signing uses node:crypto synchronously (no promise on the hot path); the key
 * is one P-256 pair, kept in the data directory so every instance sharing it publishes the
 * same JWKS, and `kid` is its RFC 7638 thumbprint.
 */
export class GatewayTokenSigner {
  readonly #privateKey: KeyObject;
  readonly #options: GatewayTokenOptions;
  readonly #header: string;
  readonly #jwks: { keys: JWK[] };
  readonly kid: string;

  private constructor(privateKey: KeyObject, publicJwk: JWK, kid: string, options: GatewayTokenOptions) {
    this.#privateKey = privateKey;
    this.#options = options;
    this.kid = kid;
    this.#header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid })).toString('base64url');
    this.#jwks = { keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }] };
  }

  static async fromKey(privateKey: KeyObject, options: GatewayTokenOptions): Promise<GatewayTokenSigner> {
    if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error('the gateway identity key must be an EC P-256 private key');
    }
    const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
    const publicJwk: JWK = { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, y: jwk.y! };
    return new GatewayTokenSigner(privateKey, publicJwk, await calculateJwkThumbprint(publicJwk), options);
  }

  /** Loads the PKCS#8 PEM at `file`, creating it (mode 0600) on first start. */
  static async fromFile(file: string, options: GatewayTokenOptions): Promise<GatewayTokenSigner> {
    let pem: string;
    try {
      pem = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      // Written aside, then published with link(): atomic, and it fails if another instance
      // (a cluster worker) got there first, in which case its key wins and is read back whole.
      const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
      await writeFile(temporary, pem, { mode: 0o600, flag: 'wx' });
      try {
        await link(temporary, file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        pem = await readFile(file, 'utf8');
      } finally {
        await unlink(temporary).catch(() => undefined);
      }
    }
    return GatewayTokenSigner.fromKey(createPrivateKey(pem), options);
  }

  sign(identity: Identity, requestId: string, nowSec = Math.floor(Date.now() / 1000)): string {
    const o = this.#options;
    const claims: GatewayClaims = {
      iss: o.issuer,
      sub: identity.subject,
      ...(o.audience !== undefined ? { aud: o.audience } : {}),
      iat: nowSec,
      exp: nowSec + o.ttlSec,
      // The request id may come from a trusted client header: not unique enough for a jti.
      jti: randomUUID(),
      rid: requestId,
      amr: [identity.method],
      roles: identity.roles,
      scope: identity.scopes.join(' '),
      ...(identity.issuer !== undefined ? { idp: identity.issuer } : {}),
      ...(identity.clientId !== undefined ? { client_id: identity.clientId } : {}),
      ...(identity.plan !== undefined ? { plan: identity.plan } : {}),
    };
    const input = `${this.#header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = sign('sha256', Buffer.from(input), { key: this.#privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }

  /** The JWKS document (RFC 7517 §5) with the public key. */
  jwks(): { keys: JWK[] } {
    return this.#jwks;
  }
}

/** Node request handler for `/.well-known/portcullis-jwks.json` and the admin listener. */
export function jwksHandler(signer: GatewayTokenSigner): (req: IncomingMessage, res: ServerResponse) => void {
  const body = JSON.stringify(signer.jwks());
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/jwk-set+json',
      'cache-control': 'public, max-age=300',
      'content-length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
