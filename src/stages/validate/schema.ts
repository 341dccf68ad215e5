import { type Static, Type } from '@sinclair/typebox';

/** Where a parameter lives (OpenAPI 3.1 §4.8.12.1). */
export const PARAMETER_LOCATIONS = ['path', 'query', 'header', 'cookie'] as const;
export type ParameterLocation = (typeof PARAMETER_LOCATIONS)[number];

export const PARAMETER_STYLES = ['simple', 'form', 'spaceDelimited', 'pipeDelimited', 'deepObject'] as const;

const SchemaValue = Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Boolean()]);
const MediaType = Type.Object({ schema: Type.Optional(SchemaValue) });
const Content = Type.Record(Type.String(), MediaType);

export const ParameterSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    in: Type.Union(PARAMETER_LOCATIONS.map((l) => Type.Literal(l))),
    required: Type.Optional(Type.Boolean()),
    style: Type.Optional(Type.Union(PARAMETER_STYLES.map((s) => Type.Literal(s)))),
    explode: Type.Optional(Type.Boolean()),
    schema: Type.Optional(SchemaValue),
    content: Type.Optional(Content),
  },
  { additionalProperties: false },
);
export type ParameterConfig = Static<typeof ParameterSchema>;

/**
 * The route key `validation`. Its description part (parameters, requestBody, responses) is the
 * shape of an OpenAPI Operation Object, so generated routes and hand-written ones read alike.
 */
export const ValidationRouteSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ default: true })),
    /** Schema dialect of the embedded schemas. */
    openapi: Type.Optional(Type.Union([Type.Literal('3.0'), Type.Literal('3.1')])),
    /** Default: reject when `parameters` is declared, allow otherwise. */
    unknownQuery: Type.Optional(Type.Union([Type.Literal('reject'), Type.Literal('allow')])),
    unknownBodyProperties: Type.Optional(Type.Union([Type.Literal('reject'), Type.Literal('allow')])),
    validateResponses: Type.Optional(Type.Union([Type.Literal('off'), Type.Literal('detect')])),
    maxBodyBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    maxResponseBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    maxDepth: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
    maxArrayLength: Type.Optional(Type.Integer({ minimum: 1 })),
    maxProperties: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Publish which arguments the schema pins, so the WAF can skip them. */
    wafHints: Type.Optional(Type.Boolean()),
    parameters: Type.Optional(Type.Array(ParameterSchema)),
    requestBody: Type.Optional(
      Type.Object({ required: Type.Optional(Type.Boolean()), content: Content }, { additionalProperties: false }),
    ),
    responses: Type.Optional(
      Type.Record(Type.String(), Type.Object({ content: Type.Optional(Content) }, { additionalProperties: false })),
    ),
    /** Schemas that `#/components/schemas/...` references point to (recursive documents). */
    components: Type.Optional(
      Type.Object({ schemas: Type.Record(Type.String(), SchemaValue) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type ValidationRouteConfig = Static<typeof ValidationRouteSchema>;

/** Top-level key `validation`: defaults for every route. */
export const ValidationGlobalSchema = Type.Object(
  {
    maxBodyBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    maxResponseBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    maxDepth: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
    maxArrayLength: Type.Optional(Type.Integer({ minimum: 1 })),
    maxProperties: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Longest string a schema `pattern` is run against; longer ones fail the pattern (ReDoS guard). */
    maxPatternInput: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type ValidationGlobalConfig = Static<typeof ValidationGlobalSchema>;
