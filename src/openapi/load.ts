/**
 * Expands an `openapi:` route group into one route per operation.
 *
 * The document is read and its $refs resolved by @apidevtools/json-schema-ref-parser (local files
 * only: no HTTP fetches at load, ASVS 13.2.4). Each operation becomes a route whose `validation`
 * section carries the operation's parameters, body and responses, and whose `auth`/`allow`
 * sections come from its `security` requirements.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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
  const options = checkGroup(group, path);
  const specPath = isAbsolute(options.spec) ? options.spec : resolve(configDir, options.spec);
  let dereferenced: Dereferenced;
  try {
    dereferenced = await dereference(specPath);
  } catch (err) {
    throw new ConfigError(
      [...path, 'openapi', 'spec'],
      `cannot load OpenAPI document ${options.spec}: ${describe(err)}`,
    );
  }
  return generateRoutes(group, options, dereferenced, path);
}

/**
 * The same as loadOpenApiRoutes for a synchronous configuration loader: the document is
 * dereferenced by json-schema-ref-parser in a short-lived child process (it has no synchronous
 * API), which blocks this thread for about the time of a Node start-up.
 */
export function loadOpenApiRoutesSync(
  group: Readonly<Record<string, unknown>>,
  configDir: string,
  path: KeyPath = [],
): GeneratedRoute[] {
  const options = checkGroup(group, path);
  const specPath = isAbsolute(options.spec) ? options.spec : resolve(configDir, options.spec);
  const child = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', DEREFERENCE_SCRIPT, REF_PARSER_URL, specPath],
    {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      timeout: 60_000,
      env: {},
    },
  );
  if (child.status !== 0) {
    const reason = child.error?.message ?? child.stderr.trim().split('\n')[0]!.slice(0, 300);
    throw new ConfigError([...path, 'openapi', 'spec'], `cannot load OpenAPI document ${options.spec}: ${reason}`);
  }
  return generateRoutes(group, options, JSON.parse(child.stdout) as Dereferenced, path);
}

interface Dereferenced {
  readonly doc: Record<string, unknown>;
  /** Recursive schemas: their back-edges stay `#/components/schemas/...` references. */
  readonly circular: boolean;
}

const REF_PARSER_URL = pathToFileURL(
  createRequire(import.meta.url).resolve('@apidevtools/json-schema-ref-parser'),
).href;

// Local files only (resolve.http: false): no outbound fetch at load, ASVS 13.2.4. circular:
// 'ignore' inlines every $ref except the back-edges of recursive schemas.
const REF_OPTIONS = { resolve: { external: true, http: false }, dereference: { circular: 'ignore' } } as const;

const DEREFERENCE_SCRIPT = `
const [url, spec] = process.argv.slice(1);
const { $RefParser } = await import(url);
try {
  const parser = new $RefParser();
  const doc = await parser.dereference(spec, ${JSON.stringify(REF_OPTIONS)});
  process.stdout.write(JSON.stringify({ doc, circular: parser.$refs.circular }));
} catch (err) {
  process.stderr.write(String(err && err.message || err));
  process.exitCode = 1;
}
`;

async function dereference(specPath: string): Promise<Dereferenced> {
  const parser = new $RefParser();
  const doc = (await parser.dereference(specPath, REF_OPTIONS)) as Record<string, unknown>;
  return { doc, circular: parser.$refs.circular };
}

function checkGroup(group: Readonly<Record<string, unknown>>, path: KeyPath): OpenApiGroup {
  const settings = group.openapi;
  if (!Value.Check(OpenApiGroupSchema, settings)) {
    const first = [...Value.Errors(OpenApiGroupSchema, settings)][0];
    const where = first ? first.path.split('/').filter(Boolean) : [];
    throw new ConfigError([...path, 'openapi', ...where], first?.message ?? 'invalid openapi group');
  }
  return settings;
}

function generateRoutes(
  group: Readonly<Record<string, unknown>>,
  options: OpenApiGroup,
  { doc, circular }: Dereferenced,
  path: KeyPath,
): GeneratedRoute[] {
  const specKey = [...path, 'openapi', 'spec'];
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
