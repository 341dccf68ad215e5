import { type Static, Type } from '@sinclair/typebox';

/**
 * A route-group entry in `routes:` that expands into one route per OpenAPI operation. Other keys
 * next to `openapi` (rateLimit, waf, transform...) are copied onto every generated route.
 */
export const OpenApiGroupSchema = Type.Object(
  {
    /** Path of the OpenAPI document (YAML or JSON), relative to the configuration file. */
    spec: Type.String({ minLength: 1 }),
    upstream: Type.String({ minLength: 1 }),
    /** Skip authentication on every generated route, whatever the document's `security` says. */
    public: Type.Optional(Type.Boolean()),
    unknownQuery: Type.Optional(Type.Union([Type.Literal('reject'), Type.Literal('allow')], { default: 'reject' })),
    unknownBodyProperties: Type.Optional(
      Type.Union([Type.Literal('reject'), Type.Literal('allow')], { default: 'reject' }),
    ),
    validateResponses: Type.Optional(Type.Union([Type.Literal('off'), Type.Literal('detect')], { default: 'off' })),
    /** Prefix put in front of every path of the document, e.g. /api/v1. */
    basePath: Type.Optional(Type.String({ pattern: '^/' })),
  },
  { additionalProperties: false },
);
export type OpenApiGroup = Static<typeof OpenApiGroupSchema>;
