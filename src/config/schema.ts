import { type TObject, type TProperties, type TSchema, Type } from '@sinclair/typebox';
import {
  AdminSchema,
  coreRouteProperties,
  DemoSchema,
  ListenerSchema,
  LogSchema,
  ServerSchema,
  UpstreamSchema,
} from './core-schema.js';

/** What the assembly reads from a stage (or service) definition or registry entry. */
export interface SchemaSource {
  readonly global?: { readonly key: string; readonly schema: TSchema } | undefined;
  readonly route?: { readonly key: string; readonly schema: TSchema } | undefined;
}

/**
 * The configuration schema, assembled from the core sections and every stage's global and
 * per-route keys: one source of truth for validation, defaults and docs.
 */
export function assembleSchema(
  definitions: readonly SchemaSource[],
  services: readonly (SchemaSource & { readonly global: { readonly key: string; readonly schema: TSchema } })[] = [],
): TObject {
  const routeProps: TProperties = { ...coreRouteProperties };
  const globalProps: Record<string, TSchema> = {};
  for (const def of definitions) {
    if (def.route) {
      if (def.route.key in routeProps) throw new Error(`route key "${def.route.key}" is defined twice`);
      routeProps[def.route.key] = Type.Optional(def.route.schema);
    }
    if (def.global) {
      if (def.global.key in globalProps) throw new Error(`global key "${def.global.key}" is defined twice`);
      globalProps[def.global.key] = Type.Optional(def.global.schema);
    }
  }
  for (const svc of services) {
    if (svc.global.key in globalProps) throw new Error(`global key "${svc.global.key}" is defined twice`);
    globalProps[svc.global.key] = Type.Optional(svc.global.schema);
  }
  const route = Type.Object(routeProps, { additionalProperties: false });
  return Type.Object(
    {
      dataDir: Type.String({ default: './data' }),
      listeners: Type.Array(ListenerSchema, { minItems: 1 }),
      admin: Type.Optional({ ...AdminSchema, default: {} }),
      server: Type.Optional({ ...ServerSchema, default: {} }),
      log: Type.Optional({ ...LogSchema, default: {} }),
      demo: Type.Optional({ ...DemoSchema, default: {} }),
      upstreams: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]+$' }), UpstreamSchema, { default: {} }),
      routes: Type.Array(route, { default: [] }),
      ...globalProps,
    },
    { additionalProperties: false },
  );
}
