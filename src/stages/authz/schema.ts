import { type Static, Type } from '@sinclair/typebox';

const Names = Type.Array(Type.String({ minLength: 1 }), { minItems: 1 });
const Requirement = Type.Union([
  Names,
  Type.Object({ anyOf: Type.Optional(Names), allOf: Type.Optional(Names) }, { additionalProperties: false }),
]);

const RuleFields = {
  roles: Type.Optional(Requirement),
  permissions: Type.Optional(Requirement),
  scopes: Type.Optional(Requirement),
  when: Type.Optional(
    Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
      description: 'CEL over identity and request; all must be true',
    }),
  ),
};

export const AllowRuleSchema = Type.Object(RuleFields, { additionalProperties: false });

export const RouteAllowSchema = Type.Object(
  {
    ...RuleFields,
    perMethod: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Z]+$' }), AllowRuleSchema)),
  },
  { additionalProperties: false },
);
export type RouteAllow = Static<typeof RouteAllowSchema>;

export const AuthorizationSchema = Type.Object(
  {
    roles: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[A-Za-z0-9_.:-]+$' }),
        Type.Object(
          {
            permissions: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
            inherits: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
            description: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);
export type AuthorizationConfig = Static<typeof AuthorizationSchema>;
