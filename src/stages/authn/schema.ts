import { type Static, Type } from '@sinclair/typebox';
import { JWS_ALGORITHMS } from '../../auth/jwt/algorithms.js';
import { AUTH_METHODS } from '../../pipeline/identity.js';

const StringList = Type.Array(Type.String({ minLength: 1 }), { minItems: 1 });
const Algorithm = Type.Union(JWS_ALGORITHMS.map((a) => Type.Literal(a)));
const AuthMethod = Type.Union(AUTH_METHODS.map((m) => Type.Literal(m)));

export const IssuerSchema = Type.Object(
  {
    issuer: Type.String({ minLength: 1, description: 'exact iss value' }),
    audience: Type.Union([Type.String({ minLength: 1 }), StringList]),
    algorithms: Type.Array(Algorithm, { minItems: 1, description: 'allow-list; required' }),
    secret: Type.Optional(
      Type.String({ minLength: 1, description: 'HMAC secret (HS*), e.g. from an env: interpolation' }),
    ),
    keys: Type.Optional(
      Type.Array(
        Type.Object(
          {
            kid: Type.Optional(Type.String({ minLength: 1 })),
            alg: Algorithm,
            pem: Type.Optional(Type.String({ minLength: 1 })),
            jwk: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
            secret: Type.Optional(Type.String({ minLength: 1 })),
          },
          { additionalProperties: false },
        ),
        { minItems: 1 },
      ),
    ),
    jwksUrl: Type.Optional(Type.String({ minLength: 1 })),
    jwks: Type.Optional(
      Type.Object(
        {
          cacheMaxAgeSec: Type.Optional(Type.Number({ minimum: 1 })),
          cooldownSec: Type.Optional(Type.Number({ minimum: 0 })),
          timeoutMs: Type.Optional(Type.Integer({ minimum: 100 })),
        },
        { additionalProperties: false },
      ),
    ),
    typ: Type.Optional(Type.String({ minLength: 1, description: 'required typ header, e.g. at+jwt' })),
    clockToleranceSec: Type.Optional(Type.Integer({ minimum: 0, maximum: 300 })),
    maxTokenAgeSec: Type.Optional(Type.Integer({ minimum: 1 })),
    maxTokenBytes: Type.Optional(Type.Integer({ minimum: 256, maximum: 65536 })),
    rolesClaim: Type.Optional(Type.String({ minLength: 1 })),
    scopesClaim: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

export const IntrospectionSchema = Type.Object(
  {
    endpoint: Type.String({ minLength: 1 }),
    clientId: Type.String({ minLength: 1 }),
    clientSecret: Type.String({ minLength: 1 }),
    clientAuth: Type.Optional(Type.Union([Type.Literal('basic'), Type.Literal('post')])),
    issuer: Type.Optional(Type.String({ minLength: 1 })),
    audience: Type.Optional(Type.Union([Type.String({ minLength: 1 }), StringList])),
    maxCacheTtlSec: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
    negativeCacheTtlSec: Type.Optional(Type.Integer({ minimum: 0, maximum: 300 })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100 })),
    rolesClaim: Type.Optional(Type.String({ minLength: 1 })),
    scopesClaim: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

export const AuthenticationSchema = Type.Object(
  {
    realm: Type.Optional(Type.String({ minLength: 1, default: 'portcullis' })),
    issuers: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]+$' }), IssuerSchema)),
    introspection: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]+$' }), IntrospectionSchema)),
    apiKeys: Type.Optional(
      Type.Object(
        {
          header: Type.Optional(Type.String({ minLength: 1, default: 'x-api-key' })),
          pepper: Type.Optional(
            Type.String({
              minLength: 32,
              description: 'HMAC pepper when no store is configured (interpolate it from env)',
            }),
          ),
          cacheTtlSec: Type.Optional(Type.Integer({ minimum: 0, maximum: 300 })),
        },
        { additionalProperties: false },
      ),
    ),
    basic: Type.Optional(
      Type.Object(
        { cacheTtlSec: Type.Optional(Type.Integer({ minimum: 0, maximum: 600 })) },
        { additionalProperties: false },
      ),
    ),
    session: Type.Optional(
      Type.Object(
        {
          cookie: Type.Optional(Type.String({ pattern: "^__Host-[!#$%&'*+.^_`|~0-9A-Za-z-]+$" })),
          idleTimeoutSec: Type.Optional(Type.Integer({ minimum: 60 })),
          allowedOrigins: Type.Optional(Type.Array(Type.String({ pattern: '^https?://[^/]+$' }))),
          csrfHeader: Type.Optional(Type.String({ minLength: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    mtls: Type.Optional(
      Type.Object(
        {
          caFingerprints: Type.Optional(
            Type.Array(Type.String({ pattern: '^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$' }), { minItems: 1 }),
          ),
          caFile: Type.Optional(
            Type.String({
              minLength: 1,
              description: 'PEM bundle of the CAs to pin (all, unless caFingerprints narrows)',
            }),
          ),
          subjectFrom: Type.Optional(
            Type.Array(
              Type.Union([
                Type.Literal('san-uri'),
                Type.Literal('san-dns'),
                Type.Literal('san-email'),
                Type.Literal('cn'),
              ]),
              { minItems: 1 },
            ),
          ),
          roles: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        { additionalProperties: false },
      ),
    ),
    upstream: Type.Optional(
      Type.Object(
        {
          identityToken: Type.Optional(
            Type.Boolean({ description: 'forward the signed identity token (default true)' }),
          ),
          header: Type.Optional(Type.String({ minLength: 1, default: 'x-portcullis-identity' })),
          issuer: Type.Optional(Type.String({ minLength: 1 })),
          audience: Type.Optional(Type.String({ minLength: 1 })),
          ttlSec: Type.Optional(Type.Integer({ minimum: 5, maximum: 600 })),
          reuseSec: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 30,
              description: 'reuse one signed token per verified credential this long (0 = sign per request)',
            }),
          ),
          keyFile: Type.Optional(Type.String({ minLength: 1, description: 'PKCS#8 P-256 key; created when absent' })),
          userHeaders: Type.Optional(Type.Boolean({ description: 'also send X-User-Id, X-User-Roles, X-User-Scopes' })),
          forwardAuthorization: Type.Optional(
            Type.Boolean({ description: 'keep the client Authorization header (default true)' }),
          ),
          stripHeaders: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        { additionalProperties: false },
      ),
    ),
    revocation: Type.Optional(
      Type.Object(
        {
          bus: Type.Union([Type.Literal('store'), Type.Literal('redis'), Type.Literal('memory')], {
            description:
              'how a revocation reaches every instance: store (default: the database feed, polled or LISTEN/NOTIFY), redis (pub/sub), memory (this process only)',
          }),
          redis: Type.Optional(
            Type.Object(
              { url: Type.String({ minLength: 1 }), keyPrefix: Type.Optional(Type.String()) },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type AuthenticationConfig = Static<typeof AuthenticationSchema>;

const AuthOptions = {
  accept: Type.Array(AuthMethod, { minItems: 1, uniqueItems: true, description: 'any-of' }),
  jwt: Type.Optional(Type.Object({ issuers: Type.Optional(StringList) }, { additionalProperties: false })),
  introspection: Type.Optional(Type.Object({ servers: Type.Optional(StringList) }, { additionalProperties: false })),
  csrf: Type.Optional(Type.Boolean({ description: 'CSRF check for cookie sessions (default true)' })),
};

export const RouteAuthRuleSchema = Type.Object(AuthOptions, { additionalProperties: false });
export type RouteAuthRule = Static<typeof RouteAuthRuleSchema>;

export const RouteAuthSchema = Type.Object(
  {
    ...AuthOptions,
    perMethod: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Z]+$' }), RouteAuthRuleSchema, {
        description: 'replaces the route rule for that HTTP method',
      }),
    ),
  },
  { additionalProperties: false },
);
export type RouteAuth = Static<typeof RouteAuthSchema>;
