import { type Static, Type } from '@sinclair/typebox';
import { HEADER_NAME_PATTERN } from '../headers/schema.js';

const HeaderName = Type.String({ pattern: HEADER_NAME_PATTERN, minLength: 1, maxLength: 256 });

/**
 * Route `cors`: strict allow-lists. Origins are exact serialized origins (scheme://host[:port]),
 * or the single entry "*" for public, credential-less resources.
 */
export const CorsRouteSchema = Type.Object(
  {
    origins: Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { minItems: 1, maxItems: 1000 }),
    /** Methods a preflight may ask for; default: the route's match.methods (without OPTIONS), else GET, HEAD, POST. */
    methods: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Z]+$', maxLength: 32 }), { minItems: 1, maxItems: 20 }),
    ),
    /** Request headers a preflight may ask for (Access-Control-Allow-Headers). */
    headers: Type.Optional(Type.Array(HeaderName, { maxItems: 100 })),
    /** Response headers the browser may show to the page (Access-Control-Expose-Headers). */
    exposeHeaders: Type.Optional(Type.Array(HeaderName, { maxItems: 100 })),
    /** Seconds a browser may cache a preflight answer (default 600; browsers cap it at 7200 or 86400). */
    maxAge: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
    /** Allow cookies and HTTP authentication on cross-origin requests (default false). */
    credentials: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type CorsRoute = Static<typeof CorsRouteSchema>;
