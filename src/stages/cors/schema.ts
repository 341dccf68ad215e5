import { type Static, Type } from '@sinclair/typebox';
import { HEADER_NAME_PATTERN } from '../headers/schema.js';

const HeaderName = Type.String({ pattern: HEADER_NAME_PATTERN, minLength: 1, maxLength: 256 });

/** Route `cors`: strict allow-lists (docs/headers-and-cors.md). */
export const CorsRouteSchema = Type.Object(
  {
    origins: Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), {
      minItems: 1,
      maxItems: 1000,
      description: 'exact origins (scheme://host[:port]) as browsers send them, or the single entry "*"',
    }),
    methods: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Z]+$', maxLength: 32 }), {
        minItems: 1,
        maxItems: 20,
        description: "methods a preflight may ask for; default the route's methods without OPTIONS",
      }),
    ),
    headers: Type.Optional(
      Type.Array(HeaderName, { maxItems: 100, description: 'request headers a preflight may ask for' }),
    ),
    exposeHeaders: Type.Optional(
      Type.Array(HeaderName, { maxItems: 100, description: 'response headers the page may read' }),
    ),
    maxAge: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 86_400,
        description: 'seconds a browser may cache a preflight (default 600)',
      }),
    ),
    credentials: Type.Optional(
      Type.Boolean({ description: 'allow cookies and HTTP authentication (default false; not with "*")' }),
    ),
  },
  { additionalProperties: false },
);
export type CorsRoute = Static<typeof CorsRouteSchema>;
