import type { LoginLimiter } from '../auth/basic.js';
import { ConfigError } from '../config/errors.js';
import type { InternalHandler } from '../server/internal.js';
import type { Revoker } from '../stages/authn/setup.js';
import { AUTH_SHARED_KEYS } from '../stages/authn/shared-keys.js';
import type { ServiceDefinition, Services } from '../stages/definition.js';
import { attachStore, STORE_SHARED_KEY } from '../store/services.js';
import type { Store } from '../store/types.js';
import { Accounts } from './accounts.js';
import { createIdpHandler } from './http.js';
import { builtinIssuer, StoreKeySource } from './issuer.js';
import { type IdentityProviderConfig, IdentityProviderSchema } from './schema.js';
import { Sessions } from './sessions.js';

/**
 * Keys the identity provider publishes in services.shared:
 * - `internal:idp`          InternalHandler: /auth/* pages and JSON API (and the OIDC endpoints)
 * - `idp.passwordVerifier`  PasswordVerifier for the authn stage's Basic method
 * - `idp.sessionLookup`     SessionLookup for the authn stage's session method
 * - `idp.accounts`          Accounts (users, passwords, logins)
 * - `idp.issuer`            TrustedIssuer "builtin" the authn stage adds to its JWT verifier
 */
export const IDP_SHARED_KEYS = {
  handler: 'internal:idp',
  passwordVerifier: 'idp.passwordVerifier',
  sessionLookup: 'idp.sessionLookup',
  accounts: 'idp.accounts',
  issuer: 'idp.issuer',
} as const;

export interface IdpShared {
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly handler: InternalHandler;
  readonly stop: () => void;
}

async function activeKid(store: Store): Promise<string | undefined> {
  return (await store.signingKeys.list()).find((k) => k.retiredAt === null)?.kid;
}

const dryRunHandler: InternalHandler = (_req, res) => {
  res.writeHead(503).end();
};

function sessionCookie(services: Services): string {
  const authn = services.config.authentication as { session?: { cookie?: string } } | undefined;
  return authn?.session?.cookie ?? '__Host-portcullis';
}

export const identityProviderService: ServiceDefinition<IdentityProviderConfig, IdpShared | undefined> = {
  name: 'identityProvider',
  global: { key: 'identityProvider', schema: IdentityProviderSchema },
  async setup(config, services) {
    if (!config || config.enabled === false) return undefined;
    let origin: string;
    try {
      origin = new URL(config.issuer).origin;
    } catch {
      throw new ConfigError(['identityProvider', 'issuer'], 'not an absolute URL');
    }
    const audience = config.audience ?? config.issuer;
    if (services.dryRun) {
      services.shared.set(
        IDP_SHARED_KEYS.issuer,
        builtinIssuer(config.issuer, audience, new StoreKeySource(undefined)),
      );
      // `portcullis check` opens no database: publish a stand-in so internal:idp routes resolve.
      services.shared.set(IDP_SHARED_KEYS.handler, dryRunHandler);
      return undefined;
    }
    // The store service (set up first) opened it and closes it.
    const store = (services.shared.get(STORE_SHARED_KEY) as Store | undefined) ?? (await attachStore(services));
    const keys = new StoreKeySource(store);
    const absoluteTimeoutMs = (config.session?.absoluteTimeoutSec ?? 43_200) * 1000;
    const accounts = new Accounts(store, {
      ...(config.passwords ? { policy: config.passwords } : {}),
      lockout: { maxFailures: config.lockout?.maxFailures ?? 10, lockMs: (config.lockout?.lockSec ?? 900) * 1000 },
      limiter: () => services.shared.get('loginThrottle') as LoginLimiter | undefined,
      signOut: {
        // The authn stage's bus (store feed, Redis or memory, as configured), set up after this
        // service: looked up when a sign-out happens. Without it, the store's feed.
        publish: async (revocation) => {
          const revoker = services.shared.get(AUTH_SHARED_KEYS.revocations) as Revoker | undefined;
          if (revoker && revocation.kind === 'cutoff' && revocation.issuedBefore !== undefined) {
            await revoker.cutoff(revocation.id, revocation.issuedBefore, revocation.until);
          } else {
            await store.revocations.add(revocation);
          }
        },
        sessionLifetimeMs: absoluteTimeoutMs,
      },
    });
    const sessions = new Sessions(store, {
      cookie: sessionCookie(services),
      idleTimeoutMs: (config.session?.idleTimeoutSec ?? 1800) * 1000,
      absoluteTimeoutMs,
    });
    // oidc-provider is large and loads only when the identity provider is configured.
    const { createOidcHandler, createOidcProvider } = await import('./oidc.js');
    const build = async () => {
      const provider = await createOidcProvider({
        store,
        issuer: config.issuer,
        audience,
        interactionPath: (uid) => `/auth/interaction/${uid}`,
      });
      return { provider, handler: createOidcHandler(provider, store, config.issuer), kid: await activeKid(store) };
    };
    let oidc = await build();
    // oidc-provider takes its keys at construction: after `portcullis keys rotate` (here or on another
    // instance) the provider is rebuilt so new tokens carry the new key. Its state is all in the
    // store (grants, codes, interactions, cookie keys), so requests in flight are not disturbed.
    const logger = services.logger.child({ component: 'idp' });
    let rebuilding = false;
    const timer = setInterval(
      () => {
        if (rebuilding) return;
        rebuilding = true;
        activeKid(store)
          .then(async (kid) => {
            if (kid === oidc.kid) return;
            oidc = await build();
            await keys.reload();
            logger.info({ kid: oidc.kid }, 'signing key changed; provider rebuilt');
          })
          .catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'signing key check failed'))
          .finally(() => {
            rebuilding = false;
          });
      },
      (config.keyRefreshSec ?? 60) * 1000,
    );
    timer.unref();
    const handler = createIdpHandler({ accounts, sessions, origin, oidc: () => oidc });
    services.shared.set(IDP_SHARED_KEYS.issuer, builtinIssuer(config.issuer, audience, keys));
    services.shared.set(IDP_SHARED_KEYS.handler, handler);
    services.shared.set(IDP_SHARED_KEYS.passwordVerifier, accounts.passwordVerifier());
    services.shared.set(IDP_SHARED_KEYS.sessionLookup, sessions.lookup());
    services.shared.set(IDP_SHARED_KEYS.accounts, accounts);
    return { accounts, sessions, handler, stop: () => clearInterval(timer) };
  },
  async dispose(shared) {
    shared?.stop();
  },
};
