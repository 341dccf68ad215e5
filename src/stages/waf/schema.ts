import { type Static, Type } from '@sinclair/typebox';

const Mode = Type.Union([Type.Literal('block'), Type.Literal('detect'), Type.Literal('off')], {
  description: 'block: deny when the anomaly threshold is reached; detect: log only; off: no inspection',
});
const Paranoia = Type.Integer({ minimum: 1, maximum: 4, description: 'CRS paranoia level' });
const Thresholds = Type.Object(
  {
    inbound: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
    outbound: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
  },
  { additionalProperties: false },
);
const IdOrRange = Type.String({
  pattern: '^\\d{1,9}(-\\d{1,9})?$',
  description: 'rule id or range, e.g. 942100 or 942000-942999',
});
const TargetExclusion = Type.Object(
  {
    rule: IdOrRange,
    targets: Type.String({
      minLength: 1,
      maxLength: 1000,
      description: 'SecLang targets, e.g. ARGS:password|REQUEST_COOKIES:/^sess/',
    }),
  },
  { additionalProperties: false },
);

/** Top-level `waf`: the rule set, shared by every route, and defaults routes can override. */
export const WafGlobalSchema = Type.Object(
  {
    crs: Type.Optional(
      Type.Object(
        {
          dir: Type.String({ minLength: 1, description: 'CRS directory holding rules/ and crs-setup.conf(.example)' }),
        },
        { additionalProperties: false },
      ),
    ),
    rules: Type.Optional(
      Type.Array(Type.String({ minLength: 1, description: 'SecLang file or glob, loaded after CRS' }), {
        maxItems: 100,
      }),
    ),
    setup: Type.Optional(
      Type.String({
        maxLength: 1_000_000,
        description: 'inline SecLang appended to the CRS setup file: loaded before the CRS rules (tx.* settings)',
      }),
    ),
    directives: Type.Optional(Type.String({ maxLength: 1_000_000, description: 'inline SecLang, loaded last' })),
    mode: Type.Optional(Mode),
    paranoiaLevel: Type.Optional(Paranoia),
    detectionParanoiaLevel: Type.Optional(Paranoia),
    anomalyThreshold: Type.Optional(Thresholds),
    requestBodyAccess: Type.Optional(Type.Boolean({ description: 'inspect request bodies (default true)' })),
    responseBodyAccess: Type.Optional(Type.Boolean({ description: 'inspect response bodies (default false)' })),
    inspectRejected: Type.Optional(
      Type.Boolean({
        description:
          'also run the request phases, logging only, over requests the HTTP layer refuses before any route (parser errors, refused paths, 404, 405, CONNECT); the refusal is answered unchanged (default true unless mode is off)',
      }),
    ),
    auditLog: Type.Optional(
      Type.Object(
        { path: Type.String({ minLength: 1, description: 'JSON-lines file, one line per matched rule' }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type WafGlobal = Static<typeof WafGlobalSchema>;

/** Route `waf`: mode, paranoia and thresholds for this route, and rule / target exclusions. */
export const WafRouteSchema = Type.Object(
  {
    mode: Type.Optional(Mode),
    paranoiaLevel: Type.Optional(Paranoia),
    detectionParanoiaLevel: Type.Optional(Paranoia),
    anomalyThreshold: Type.Optional(Thresholds),
    removeRules: Type.Optional(Type.Array(IdOrRange, { maxItems: 1000 })),
    removeTargets: Type.Optional(Type.Array(TargetExclusion, { maxItems: 1000 })),
    schemaAware: Type.Optional(
      Type.Boolean({
        description:
          'skip argument values the validate stage proved to be no free text (integers, enums, uuids...); default true, effective only on routes with validation',
      }),
    ),
  },
  { additionalProperties: false },
);
export type WafRoute = Static<typeof WafRouteSchema>;
