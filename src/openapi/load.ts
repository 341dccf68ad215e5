/**
 * Expands an `openapi:` route group into one route per operation.
 *
 * The document is read and its $refs resolved by @apidevtools/json-schema-ref-parser (local files
 * only: no HTTP fetches at load, ASVS 13.2.4). Each operation becomes a route whose `validation`
 * section carries the operation's parameters, body and responses, and whose `auth`/`allow`
 * sections come from its `security` requirements.
 */
import { isAbsolute, resolve } from 'node:path';
import { $RefParser } from '@apidevtools/json-schema-ref-parser';
import { Value } from '@sinclair/typebox/value';
import { ConfigError, type KeyPath } from '../config/errors.js';
import type { ParameterConfig, ValidationRouteConfig } from '../stages/validate/schema.js';
import { isPlainObject } from './convert.js';
import { PathTemplateError, toRoutePattern } from './path.js';
import { type OpenApiGroup, OpenApiGroupSchema } from './schema.js';
import { type AllowSection, type AuthSection, mapSecurity, SecurityMappingError } from './security.js';

/** OpenAPI 3.1 §4.8.9.1 fixed fields of a Path Item that are operations. TRACE is left out: ASVS 13.4.4. */
const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

export interface GeneratedRoute {
  readonly name: string;
  readonly match: { readonly path: string; readonly methods: readonly string[] };
  readonly upstream: string;
  readonly public?: true;
  readonly auth?: AuthSection;
  readonly allow?: AllowSection;
  readonly validation: ValidationRouteConfig;
  /** Keys copied from the group (rateLimit, waf, transform...). */
  readonly [key: string]: unknown;
}

/**
 * @param group the route entry: `{ openapi: {...}, ...keys for every generated route }`
 * @param configDir directory of the configuration file; `spec` resolves against it
 * @param path key path of the group in the configuration, for ConfigError positions
 */
export async function loadOpenApiRoutes(
  group: Readonly<Record<string, unknown>>,
  configDir: string,
  path: KeyPath = [],
): Promise<GeneratedRoute[]> {
  const settings = group.openapi;
  if (!Value.Check(OpenApiGroupSchema, settings)) {
    const first = [...Value.Errors(OpenApiGroupSchema, settings)][0];
    const where = first ? first.path.split('/').filter(Boolean) : [];
    throw new ConfigError([...path, 'openapi', ...where], first?.message ?? 'invalid openapi group');
  }
  const options: OpenApiGroup = settings;
  const specPath = isAbsolute(options.spec) ? options.spec : resolve(configDir, options.spec);
  const specKey = [...path, 'openapi', 'spec'];

  let doc: Record<string, unknown>;
  let circular = false;
  try {
    const parser = new $RefParser();
    // circular: 'ignore' inlines every $ref except the back-edges of recursive schemas, which
    // stay `#/components/schemas/...` references and are resolved by Ajv (see convert.ts).
    doc = (await parser.dereference(specPath, {
      resolve: { external: true, http: false },
      dereference: { circular: 'ignore' },
    })) as Record<string, unknown>;
    circular = parser.$refs.circular;
  } catch (err) {
    throw new ConfigError(specKey, `cannot load OpenAPI document ${options.spec}: ${describe(err)}`);
  }

  const version = typeof doc.openapi === 'string' ? doc.openapi : '';
  if (!/^3\.[0-2]\./.test(version)) {
    throw new ConfigError(specKey, `${options.spec} is not an OpenAPI 3.0/3.1 document (openapi: "${version}")`);
  }
  const dialect = version.startsWith('3.0.') ? '3.0' : '3.1';
  const components = isPlainObject(doc.components) ? doc.components : {};
  const schemes = isPlainObject(components.securitySchemes) ? components.securitySchemes : {};
  const recursive: Pick<ValidationRouteConfig, 'components'> =
    circular && isPlainObject(components.schemas)
      ? { components: { schemas: components.schemas as Record<string, Record<string, unknown> | boolean> } }
      : {};
  const paths = isPlainObject(doc.paths) ? doc.paths : {};
  const { openapi: _group, name: groupName, ...shared } = group;
  const prefix = typeof groupName === 'string' && groupName !== '' ? `${groupName}.` : '';

  const routes: GeneratedRoute[] = [];
  const names = new Set<string>();
  for (const [template, item] of Object.entries(paths)) {
    if (!isPlainObject(item)) continue;
    const fail = (message: string): never => {
      throw new ConfigError(specKey, `${options.spec}: paths["${template}"]: ${message}`);
    };
    if (isPlainObject(item.trace)) fail('TRACE operations are refused by the gateway (ASVS 13.4.4)');
    let pattern: string;
    let templateParams: string[];
    try {
      ({ pattern, params: templateParams } = toRoutePattern(template, options.basePath));
    } catch (err) {
      if (err instanceof PathTemplateError) return fail(err.message);
      throw err;
    }
    for (const method of OPERATION_METHODS) {
      const op = item[method];
      if (!isPlainObject(op)) continue;
      const name = prefix + routeName(op.operationId, method, template);
      if (names.has(name)) fail(`route name "${name}" is generated twice (duplicate operationId?)`);
      names.add(name);

      const parameters = mergeParameters(item.parameters, op.parameters);
      for (const p of templateParams) {
        if (!parameters.some((q) => q.in === 'path' && q.name === p)) fail(`path parameter "${p}" is not described`);
      }
      const validation: ValidationRouteConfig = {
        openapi: dialect,
        unknownQuery: options.unknownQuery ?? 'reject',
        unknownBodyProperties: options.unknownBodyProperties ?? 'reject',
        validateResponses: options.validateResponses ?? 'off',
        parameters,
        ...requestBodyOf(op.requestBody),
        ...responsesOf(op.responses),
        ...recursive,
        ...(isPlainObject(shared.validation) ? shared.validation : {}),
      };

      let access: Pick<GeneratedRoute, 'public' | 'auth' | 'allow'> = {};
      if (options.public === true) {
        access = { public: true };
      } else {
        let mapped: ReturnType<typeof mapSecurity>;
        try {
          mapped = mapSecurity(op.security ?? doc.security, schemes);
        } catch (err) {
          if (err instanceof SecurityMappingError) return fail(`${method}: ${err.message}`);
          throw err;
        }
        // 'none': the document says nothing, so the route stays protected by the config's defaults.
        if (mapped.kind === 'public') access = { public: true };
        else if (mapped.kind === 'protected')
          access = { auth: mapped.auth, ...(mapped.allow ? { allow: mapped.allow } : {}) };
      }

      routes.push({
        ...shared,
        ...access,
        name,
        match: { path: pattern, methods: [method.toUpperCase()] },
        upstream: options.upstream,
        validation,
      });
    }
  }
  if (routes.length === 0) throw new ConfigError(specKey, `${options.spec} describes no operations`);
  return routes;
}

/** OpenAPI 3.1 §4.8.9.1: operation parameters override path-level ones with the same name and location. */
function mergeParameters(pathLevel: unknown, opLevel: unknown): ParameterConfig[] {
  const byKey = new Map<string, ParameterConfig>();
  for (const list of [pathLevel, opLevel]) {
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      if (!isPlainObject(raw) || typeof raw.name !== 'string') continue;
      const location = raw.in;
      if (location !== 'path' && location !== 'query' && location !== 'header' && location !== 'cookie') continue;
      // OpenAPI 3.1 §4.8.12.1: Accept, Content-Type and Authorization header parameters are ignored.
      if (location === 'header' && ['accept', 'content-type', 'authorization'].includes(raw.name.toLowerCase())) {
        continue;
      }
      const param: ParameterConfig = {
        name: raw.name,
        in: location,
        ...(location === 'path' || raw.required === true ? { required: true } : {}),
        ...(typeof raw.style === 'string' ? { style: raw.style as ParameterConfig['style'] } : {}),
        ...(typeof raw.explode === 'boolean' ? { explode: raw.explode } : {}),
        ...(isPlainObject(raw.schema) || typeof raw.schema === 'boolean' ? { schema: raw.schema } : {}),
        ...(isPlainObject(raw.content) ? { content: pickContent(raw.content) } : {}),
      };
      byKey.set(`${location}:${location === 'header' ? raw.name.toLowerCase() : raw.name}`, param);
    }
  }
  return [...byKey.values()];
}

function pickContent(content: Record<string, unknown>): Record<string, { schema?: Record<string, unknown> | boolean }> {
  const out: Record<string, { schema?: Record<string, unknown> | boolean }> = {};
  for (const [type, media] of Object.entries(content)) {
    const schema = isPlainObject(media) ? media.schema : undefined;
    out[type] = isPlainObject(schema) || typeof schema === 'boolean' ? { schema } : {};
  }
  return out;
}

function requestBodyOf(body: unknown): Pick<ValidationRouteConfig, 'requestBody'> {
  if (!isPlainObject(body) || !isPlainObject(body.content)) return {};
  return { requestBody: { ...(body.required === true ? { required: true } : {}), content: pickContent(body.content) } };
}

function responsesOf(responses: unknown): Pick<ValidationRouteConfig, 'responses'> {
  if (!isPlainObject(responses)) return {};
  const out: NonNullable<ValidationRouteConfig['responses']> = {};
  for (const [status, response] of Object.entries(responses)) {
    if (!isPlainObject(response)) continue;
    out[status] = isPlainObject(response.content) ? { content: pickContent(response.content) } : {};
  }
  return { responses: out };
}

/** Route names allow [A-Za-z0-9_.:-] (core-schema): the operationId, else method:path, made to fit. */
export function routeName(operationId: unknown, method: string, template: string): string {
  const raw =
    typeof operationId === 'string' && operationId !== ''
      ? operationId
      : `${method}:${template.replace(/[{}]/g, '').replace(/^\//, '')}`;
  return raw.replace(/[^A-Za-z0-9_.:-]+/g, '_').replace(/^_+|_+$/g, '') || method;
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.slice(0, 300);
}
