import { type Static, Type } from '@sinclair/typebox';

// RFC 9110 §5.1 field-name token and §5.5 field-value (no CR, LF or NUL).
const HeaderName = Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" });
const HeaderValue = Type.String({ pattern: '^[^\\r\\n\\x00]*$' });
/** RFC 6901 JSON pointer; '*' as a whole token matches every array item or member. */
const Pointer = Type.String({ pattern: '^(/[^/]*)+$' });

const RequestTransform = Type.Object(
  {
    headers: Type.Optional(
      Type.Object(
        {
          /** Set these headers, replacing what the client sent. */
          add: Type.Optional(Type.Record(HeaderName, HeaderValue, { additionalProperties: false })),
          remove: Type.Optional(Type.Array(HeaderName)),
          rename: Type.Optional(Type.Record(HeaderName, HeaderName, { additionalProperties: false })),
        },
        { additionalProperties: false },
      ),
    ),
    query: Type.Optional(
      Type.Object(
        {
          add: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String())),
          remove: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        { additionalProperties: false },
      ),
    ),
    path: Type.Optional(
      Type.Object(
        {
          stripPrefix: Type.Optional(Type.String({ pattern: '^/' })),
          addPrefix: Type.Optional(Type.String({ pattern: '^/' })),
          /** Replaces the whole path; `{name}` takes the route's path parameter, percent-encoded. */
          template: Type.Optional(Type.String({ pattern: '^/' })),
        },
        { additionalProperties: false },
      ),
    ),
    body: Type.Optional(
      Type.Object(
        {
          set: Type.Optional(
            Type.Array(Type.Object({ pointer: Pointer, value: Type.Unknown() }, { additionalProperties: false })),
          ),
          remove: Type.Optional(Type.Array(Pointer)),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const ResponseTransform = Type.Object(
  {
    headers: Type.Optional(
      Type.Object(
        {
          add: Type.Optional(Type.Record(HeaderName, HeaderValue, { additionalProperties: false })),
          remove: Type.Optional(Type.Array(HeaderName)),
        },
        { additionalProperties: false },
      ),
    ),
    body: Type.Optional(
      Type.Object(
        {
          /** Members removed wherever they appear, by name (case-insensitive). */
          removeKeys: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
          /** Members whose value is replaced by `mask`, wherever they appear (case-insensitive). */
          maskKeys: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
          /** Members removed by pointer. */
          remove: Type.Optional(Type.Array(Pointer)),
          /** Mask payment card numbers (13-19 digits passing the Luhn check) in any string or number. */
          maskCardNumbers: Type.Optional(Type.Boolean()),
          mask: Type.Optional(Type.String({ default: '****' })),
          /** Bodies larger than this pass untouched (and are counted). Default 1 MiB. */
          maxBytes: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const TransformRouteSchema = Type.Object(
  { request: Type.Optional(RequestTransform), response: Type.Optional(ResponseTransform) },
  { additionalProperties: false },
);
export type TransformRouteConfig = Static<typeof TransformRouteSchema>;
export type ResponseBodyConfig = NonNullable<NonNullable<TransformRouteConfig['response']>['body']>;
