import { type Static, Type } from '@sinclair/typebox';

// RFC 9110 §5.1: field-name = token.
export const HEADER_NAME_PATTERN = "^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$";
// RFC 9110 §5.5: field-value = VCHAR, SP, HTAB, obs-text; never CR, LF or NUL.
export const HEADER_VALUE_PATTERN = '^[\\t\\x20-\\x7e\\x80-\\xff]*$';

const HeaderName = Type.String({ pattern: HEADER_NAME_PATTERN, minLength: 1, maxLength: 256 });
const HeaderValue = Type.String({ pattern: HEADER_VALUE_PATTERN, maxLength: 8192 });
// TypeBox turns a patterned key into patternProperties; without additionalProperties: false a
// name outside the pattern would slip through unchecked.
const HeaderValues = Type.Record(Type.String({ pattern: HEADER_NAME_PATTERN }), HeaderValue, {
  additionalProperties: false,
});

/** Edits applied in this order: remove, rename, set (replace), add (append). */
export const HeaderEditsSchema = Type.Object(
  {
    remove: Type.Optional(Type.Array(HeaderName, { maxItems: 100 })),
    rename: Type.Optional(
      Type.Record(Type.String({ pattern: HEADER_NAME_PATTERN }), HeaderName, { additionalProperties: false }),
    ),
    set: Type.Optional(HeaderValues),
    add: Type.Optional(HeaderValues),
  },
  { additionalProperties: false },
);
export type HeaderEdits = Static<typeof HeaderEditsSchema>;

// W3C Referrer Policy §3: the policy tokens.
export const REFERRER_POLICIES = [
  'no-referrer',
  'no-referrer-when-downgrade',
  'same-origin',
  'origin',
  'strict-origin',
  'origin-when-cross-origin',
  'strict-origin-when-cross-origin',
  'unsafe-url',
] as const;

const off = Type.Literal(false);

export const SecurityHeadersSchema = Type.Object(
  {
    hsts: Type.Optional(
      Type.Union(
        [
          off,
          Type.Object(
            {
              maxAge: Type.Optional(
                Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'seconds (default 63072000)' }),
              ),
              includeSubDomains: Type.Optional(Type.Boolean({ description: 'default true' })),
              preload: Type.Optional(Type.Boolean({ description: 'default false' })),
            },
            { additionalProperties: false },
          ),
        ],
        { description: 'Strict-Transport-Security on TLS requests, or false' },
      ),
    ),
    contentTypeOptions: Type.Optional(Type.Boolean({ description: 'X-Content-Type-Options: nosniff (default true)' })),
    referrerPolicy: Type.Optional(
      Type.Union([off, ...REFERRER_POLICIES.map((p) => Type.Literal(p))], {
        description: 'sent when the upstream sent none (default no-referrer)',
      }),
    ),
    contentSecurityPolicy: Type.Optional(
      Type.Union([off, Type.String({ minLength: 1, maxLength: 8192, pattern: HEADER_VALUE_PATTERN })], {
        description: "sent when the upstream sent no CSP (default frame-ancestors 'none')",
      }),
    ),
    frameOptions: Type.Optional(
      Type.Union([off, Type.Literal('DENY'), Type.Literal('SAMEORIGIN')], {
        description: 'X-Frame-Options when the upstream sent none (default DENY)',
      }),
    ),
    crossOriginResourcePolicy: Type.Optional(
      Type.Union([off, Type.Literal('same-origin'), Type.Literal('same-site'), Type.Literal('cross-origin')]),
    ),
    crossOriginOpenerPolicy: Type.Optional(
      Type.Union([
        off,
        Type.Literal('same-origin'),
        Type.Literal('same-origin-allow-popups'),
        Type.Literal('noopener-allow-popups'),
        Type.Literal('unsafe-none'),
      ]),
    ),
    removeHeaders: Type.Optional(
      Type.Array(HeaderName, {
        maxItems: 100,
        description: 'response headers removed (default server, x-powered-by, x-aspnet-version, x-aspnetmvc-version)',
      }),
    ),
    noStoreAuthenticated: Type.Optional(
      Type.Boolean({ description: 'Cache-Control: no-store on authenticated answers without one (default true)' }),
    ),
  },
  { additionalProperties: false },
);
export type SecurityHeaders = Static<typeof SecurityHeadersSchema>;

/** Top-level `securityHeaders`: the defaults for every route. */
export const HeadersGlobalSchema = SecurityHeadersSchema;
export type HeadersGlobal = SecurityHeaders;

/** Route `headers`: request and response edits, and overrides of the security defaults. */
export const HeadersRouteSchema = Type.Object(
  {
    request: Type.Optional(HeaderEditsSchema),
    response: Type.Optional(HeaderEditsSchema),
    security: Type.Optional(SecurityHeadersSchema),
  },
  { additionalProperties: false },
);
export type HeadersRoute = Static<typeof HeadersRouteSchema>;
