import { type Static, Type } from '@sinclair/typebox';

/** Schemas of the core sections: listeners, admin, server limits, logging, upstreams, routes. */

const Duration = Type.Integer({ minimum: 0, description: 'milliseconds' });

export const TlsSchema = Type.Object(
  {
    cert: Type.String({ description: 'PEM certificate chain file' }),
    key: Type.String({ description: 'PEM private key file' }),
    clientCa: Type.Optional(
      Type.String({ description: 'PEM CA bundle: enables client-certificate verification (mTLS)' }),
    ),
    requireClientCert: Type.Optional(Type.Boolean({ default: false })),
    minVersion: Type.Optional(Type.Union([Type.Literal('TLSv1.2'), Type.Literal('TLSv1.3')])),
    reload: Type.Optional(Type.Boolean({ default: true, description: 'watch cert and key files and reload them' })),
  },
  { additionalProperties: false },
);

export const ListenerSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1 })),
    protocol: Type.Union([Type.Literal('http'), Type.Literal('https')]),
    host: Type.String({ default: '0.0.0.0' }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    http2: Type.Optional(Type.Boolean({ description: 'https only: offer h2 by ALPN (default true)' })),
    tls: Type.Optional(TlsSchema),
    redirectToHttps: Type.Optional(
      Type.Boolean({
        description: 'http only: answer every request with 308 to HTTPS (default true when an https listener exists)',
      }),
    ),
    httpsPort: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 65535, description: 'port in the redirect Location' }),
    ),
  },
  { additionalProperties: false },
);

export const AdminSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 9090 }),
  },
  { additionalProperties: false },
);

export const LimitsSchema = Type.Object(
  {
    maxHeaderBytes: Type.Integer({
      minimum: 1024,
      default: 16384,
      description: '431 beyond (request line and headers)',
    }),
    maxUriBytes: Type.Integer({ minimum: 256, default: 8192, description: '414 beyond' }),
    maxBodyBytes: Type.Integer({ minimum: 0, default: 10 * 1024 * 1024 }),
    headersTimeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
    requestTimeoutMs: Type.Integer({ minimum: 100, default: 60_000 }),
    keepAliveTimeoutMs: Type.Integer({ minimum: 100, default: 5_000 }),
    shutdownDrainMs: Type.Integer({ minimum: 0, default: 15_000 }),
  },
  { additionalProperties: false },
);

export const ServerSchema = Type.Object(
  {
    trustedProxies: Type.Array(Type.String(), {
      default: [],
      description: 'addresses/CIDRs (or loopback, linklocal, uniquelocal) whose X-Forwarded-For is believed',
    }),
    limits: Type.Optional({ ...LimitsSchema, default: {} }),
    workers: Type.Union([Type.Integer({ minimum: 1, maximum: 256 }), Type.Literal('auto')], { default: 1 }),
    requestIdHeader: Type.String({ default: 'x-request-id' }),
  },
  { additionalProperties: false },
);

export const LogSchema = Type.Object(
  {
    level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
    access: Type.Boolean({ default: true, description: 'one JSON line per request' }),
    security: Type.Boolean({
      default: true,
      description:
        'one JSON line (kind "security", level warn) per request a security stage refused: ip_denied, rate_limited, unauthenticated, forbidden, invalid, waf_blocked; kept when access is off',
    }),
    file: Type.Optional(Type.String({ description: 'write logs here instead of stdout' })),
  },
  { additionalProperties: false },
);

export const HealthCheckSchema = Type.Object(
  {
    path: Type.String({ default: '/' }),
    intervalMs: Type.Integer({ minimum: 100, default: 5000 }),
    timeoutMs: Type.Integer({ minimum: 50, default: 2000 }),
    healthyStatuses: Type.Array(Type.Integer(), { default: [200, 204] }),
    unhealthyAfter: Type.Integer({ minimum: 1, default: 2 }),
    healthyAfter: Type.Integer({ minimum: 1, default: 1 }),
  },
  { additionalProperties: false },
);

export const UpstreamSchema = Type.Object(
  {
    targets: Type.Array(Type.String({ pattern: '^https?://' }), { minItems: 1 }),
    balance: Type.Union([Type.Literal('round-robin'), Type.Literal('least-connections')], { default: 'round-robin' }),
    connections: Type.Integer({ minimum: 1, default: 128, description: 'keep-alive connections per target' }),
    timeouts: Type.Optional(
      Type.Object(
        {
          connectMs: Type.Optional(Duration),
          headersMs: Type.Optional(
            Type.Integer({ minimum: 0, description: 'ms to wait for the response head (30000)' }),
          ),
          bodyMs: Type.Optional(
            Type.Integer({
              minimum: 0,
              description: 'ms between response body chunks (default headersMs; equal values cost one timer less)',
            }),
          ),
          idleMs: Type.Optional(Duration),
        },
        { additionalProperties: false },
      ),
    ),
    retries: Type.Integer({ minimum: 0, maximum: 5, default: 1, description: 'idempotent requests only' }),
    tls: Type.Optional(
      Type.Object(
        {
          ca: Type.Optional(Type.String({ description: 'PEM CA file to verify the upstream' })),
          serverName: Type.Optional(Type.String()),
          insecureSkipVerify: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    healthCheck: Type.Optional(HealthCheckSchema),
    circuitBreaker: Type.Optional(
      Type.Object(
        {
          failures: Type.Integer({ minimum: 1, default: 5 }),
          cooldownMs: Type.Integer({ minimum: 100, default: 10_000 }),
        },
        { additionalProperties: false },
      ),
    ),
    preserveHost: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

export const MATCH_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;

export const RouteMatchSchema = Type.Object(
  {
    path: Type.String({ pattern: '^/', description: 'exact, /:param, or ending in /* (prefix)' }),
    methods: Type.Optional(
      Type.Array(Type.Union(MATCH_METHODS.map((m) => Type.Literal(m))), {
        minItems: 1,
        description: 'default: every method except TRACE and CONNECT, which must be listed to be allowed',
      }),
    ),
    hosts: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  },
  { additionalProperties: false },
);

/** Core keys of a route; stage keys (auth, rateLimit, waf...) are added by assembly. */
export const coreRouteProperties = {
  name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.:-]+$' }),
  match: RouteMatchSchema,
  upstream: Type.String({ minLength: 1, description: 'name of an upstream, or a URL' }),
  public: Type.Optional(Type.Boolean({ description: 'no authentication required (explicit opt-out of default deny)' })),
  stripPrefix: Type.Optional(Type.String({ pattern: '^/' })),
  addPrefix: Type.Optional(Type.String({ pattern: '^/' })),
  maxBodyBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  maxResponseBufferBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  websocket: Type.Optional(Type.Boolean({ description: 'allow WebSocket upgrades on this route' })),
};

export const DemoSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 9091 }),
  },
  { additionalProperties: false },
);

export type ListenerConfig = Static<typeof ListenerSchema>;
export type TlsConfig = Static<typeof TlsSchema>;
export type AdminConfig = Static<typeof AdminSchema>;
export type LimitsConfig = Static<typeof LimitsSchema>;
export type ServerConfig = Static<typeof ServerSchema>;
export type LogConfig = Static<typeof LogSchema>;
export type UpstreamConfig = Static<typeof UpstreamSchema>;
export type HealthCheckConfig = Static<typeof HealthCheckSchema>;
export type RouteMatchConfig = Static<typeof RouteMatchSchema>;
export type DemoConfig = Static<typeof DemoSchema>;

/** A route as the core reads it; stage keys stay in the record for their stages. */
export interface RouteConfig extends Record<string, unknown> {
  name: string;
  match: RouteMatchConfig;
  upstream: string;
  public?: boolean;
  stripPrefix?: string;
  addPrefix?: string;
  maxBodyBytes?: number;
  maxResponseBufferBytes?: number;
  websocket?: boolean;
}

/** The validated configuration (core view; stage sections are read by their stages). */
export interface GatewayConfig extends Record<string, unknown> {
  dataDir: string;
  listeners: ListenerConfig[];
  admin: AdminConfig;
  server: ServerConfig & { limits: Static<typeof LimitsSchema> };
  log: LogConfig;
  demo: DemoConfig;
  upstreams: Record<string, UpstreamConfig>;
  routes: RouteConfig[];
}
