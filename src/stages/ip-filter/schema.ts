import { type Static, Type } from '@sinclair/typebox';

const CidrList = Type.Array(Type.String({ minLength: 1, maxLength: 64, description: 'address or CIDR' }), {
  maxItems: 10_000,
});

/** Top-level `ipFilter`: lists applied to every route. */
export const IpFilterGlobalSchema = Type.Object(
  {
    allow: Type.Optional(CidrList),
    deny: Type.Optional(CidrList),
    bans: Type.Optional(Type.Boolean({ description: 'refuse clients with an active ban (default true)' })),
  },
  { additionalProperties: false },
);
export type IpFilterGlobal = Static<typeof IpFilterGlobalSchema>;

/**
 * Route `ipFilter`: `deny` adds to the global deny list; `allow` replaces the global allow list
 * for this route; `bans: false` exempts the route from bans (e.g. a health check).
 */
export const IpFilterRouteSchema = IpFilterGlobalSchema;
export type IpFilterRoute = IpFilterGlobal;
