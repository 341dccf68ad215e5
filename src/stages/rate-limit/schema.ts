import { type Static, Type } from '@sinclair/typebox';
import { DURATION_PATTERN } from '../../ratelimit/duration.js';
import { ALGORITHMS } from '../../ratelimit/spec.js';

/** RFC 9110 §5.6.2 token characters: what a header name may contain. */
const KEY_PATTERN = "^(ip|subject|apiKey|client|route|cel|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$";

/** One limit on a route. */
export const LimitSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9._-]{1,64}$',
        description: 'policy name in RateLimit headers; limits with the same name share counters across routes',
      }),
    ),
    key: Type.String({
      pattern: KEY_PATTERN,
      description: 'ip | subject | apiKey | client | route | header:<name> | cel',
    }),
    expression: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'CEL, with key: cel' })),
    limit: Type.Optional(Type.Integer({ minimum: 1 })),
    per: Type.Optional(Type.String({ pattern: DURATION_PATTERN, description: '1s, 1m, 1h, 1d, 10s...' })),
    burst: Type.Optional(Type.Integer({ minimum: 1, description: 'gcra: requests allowed at once (default: limit)' })),
    algorithm: Type.Optional(Type.Union(ALGORITHMS.map((a) => Type.Literal(a)))),
    plan: Type.Optional(Type.Boolean({ description: 'take limit and per from rateLimit.plans[identity.plan]' })),
    ipv4Prefix: Type.Optional(Type.Integer({ minimum: 0, maximum: 32 })),
    ipv6Prefix: Type.Optional(Type.Integer({ minimum: 0, maximum: 128 })),
  },
  { additionalProperties: false },
);
export type LimitConfig = Static<typeof LimitSchema>;

/** Route key `rateLimit`: one limit or a list of them (all must admit the request). */
export const RouteRateLimitSchema = Type.Union([LimitSchema, Type.Array(LimitSchema, { minItems: 1, maxItems: 16 })]);
export type RouteRateLimit = Static<typeof RouteRateLimitSchema>;
