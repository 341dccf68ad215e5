import { type Static, Type } from '@sinclair/typebox';

export const IdentityProviderSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'default true when the section is present' })),
    issuer: Type.String({
      minLength: 1,
      pattern: '^https?://[^/?#]+(/[^?#]*)?$',
      description: 'the public origin of the provider, e.g. https://localhost:8443; never taken from the Host header',
    }),
    audience: Type.Optional(
      Type.String({ minLength: 1, description: 'aud of the access tokens it issues (default: the issuer)' }),
    ),
    keyRefreshSec: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 3600,
        default: 60,
        description: 'how often to look for a rotated signing key (portcullis keys rotate)',
      }),
    ),
    passwords: Type.Optional(
      Type.Object(
        {
          minLength: Type.Optional(Type.Integer({ minimum: 8, maximum: 64, default: 12 })),
          maxLength: Type.Optional(Type.Integer({ minimum: 64, maximum: 1024, default: 128 })),
        },
        { additionalProperties: false },
      ),
    ),
    lockout: Type.Optional(
      Type.Object(
        {
          maxFailures: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 1000,
              default: 10,
              description: 'consecutive failures; 0 = never lock',
            }),
          ),
          lockSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, default: 900 })),
        },
        { additionalProperties: false },
      ),
    ),
    session: Type.Optional(
      Type.Object(
        {
          idleTimeoutSec: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400, default: 1800 })),
          absoluteTimeoutSec: Type.Optional(Type.Integer({ minimum: 300, maximum: 2_592_000, default: 43_200 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type IdentityProviderConfig = Static<typeof IdentityProviderSchema>;
