import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from 'yaml';
import { type ExpandedRoutes, expandOpenApiGroupsSync, isOpenApiGroup, originalPath } from '../openapi/expand.js';
import { SERVICE_DEFINITIONS, STAGE_DEFINITIONS } from '../stages/registry.js';
import type { GatewayConfig } from './core-schema.js';
import { ConfigError, ConfigErrors, type ConfigIssue, type KeyPath } from './errors.js';
import { InterpolationError, interpolate } from './interpolate.js';
import { assembleSchema } from './schema.js';

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface LoadedConfig {
  readonly config: GatewayConfig;
  /** Absolute path of the file. */
  readonly file: string;
  readonly dir: string;
  /** Maps a key path to file:line:column, for errors found after loading (stage setup). */
  readonly locate: (path: KeyPath) => { line: number; column: number };
}

export interface LoadOptions {
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The validator for a document, compiled from the core sections plus only the stage and service
 * sections the document has (top-level keys and route keys). A key the document lacks cannot
 * fail validation and no section schema has a top-level default, so the result (errors, defaults,
 * coercion) is the one the full schema gives; an unknown key is still refused, the subset knowing
 * no more keys than the full schema. Compiling every section costs ~30 MB of generated code and
 * over a second at start; a plain proxy compiles the core alone. The last validator is kept, so a
 * reload with the same sections compiles nothing.
 */
let lastValidator: { readonly signature: string; readonly validate: ValidateFunction } | undefined;
function validatorFor(data: Record<string, unknown>): ValidateFunction {
  const globalKeys = new Set(Object.keys(data));
  const routeKeys = new Set<string>();
  if (Array.isArray(data.routes)) {
    for (const route of data.routes) if (isObject(route)) for (const key of Object.keys(route)) routeKeys.add(key);
  }
  const stages = STAGE_DEFINITIONS.map((def) => ({
    global: def.global && globalKeys.has(def.global.key) ? def.global : undefined,
    route: def.route && routeKeys.has(def.route.key) ? def.route : undefined,
  }));
  const services = SERVICE_DEFINITIONS.filter((svc) => globalKeys.has(svc.global.key));
  const signature = [
    ...stages.map((s) => `${s.global?.key ?? ''}/${s.route?.key ?? ''}`),
    ...services.map((s) => s.global.key),
  ].join(',');
  if (lastValidator?.signature !== signature) {
    // coerceTypes: values interpolated from ${env:...} arrive as strings ("8080").
    // code: no source kept and no optimisation passes, a smaller, faster compile (the validator
    // runs once per load, its speed does not matter).
    const ajv = new Ajv({
      allErrors: true,
      useDefaults: true,
      coerceTypes: true,
      strict: false,
      code: { source: false, lines: false, optimize: false },
    });
    addFormats(ajv);
    lastValidator = { signature, validate: ajv.compile(assembleSchema(stages, services)) };
  }
  return lastValidator.validate;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Reads, interpolates and validates a configuration file. Throws ConfigErrors listing every
 * problem with file, line, column and key path; never returns a half-valid config.
 */
export function loadConfig(path: string, options: LoadOptions = {}): LoadedConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigErrors([{ file, line: 0, column: 0, path: [], message: `cannot read the file (${code})` }]);
  }
  return parseConfig(text, file, options);
}

export function parseConfig(text: string, file: string, options: LoadOptions = {}): LoadedConfig {
  const dir = dirname(file);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const issues: ConfigIssue[] = [];
  const at = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  for (const error of doc.errors) {
    issues.push({ file, ...at(error.pos[0]), path: [], message: error.message.split('\n')[0] ?? error.message });
  }
  if (issues.length > 0) throw new ConfigErrors(issues);

  const env = options.env ?? process.env;
  visit(doc, {
    Scalar(_key, node, ancestors) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      try {
        node.value = interpolate(node.value, { env, baseDir: dir });
      } catch (error) {
        if (!(error instanceof InterpolationError)) throw error;
        const range = node.range ?? [0, 0, 0];
        issues.push({ file, ...at(range[0]), path: pathOf(ancestors, node), message: error.message });
      }
    },
  });
  if (issues.length > 0) throw new ConfigErrors(issues);

  const data = (doc.toJS() ?? {}) as Record<string, unknown>;
  // OpenAPI route groups (src/openapi, issue 7) expand into their generated routes before
  // validation; positions inside a generated route point at its group entry.
  let expanded: ExpandedRoutes | undefined;
  if (Array.isArray(data.routes) && data.routes.some(isOpenApiGroup)) {
    try {
      expanded = expandOpenApiGroupsSync(data.routes, dir);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const position = at(offsetOf(doc.contents, error.path, false));
      throw new ConfigErrors([{ file, ...position, path: error.path, message: error.message }]);
    }
    data.routes = expanded.routes;
  }
  const locate = (path: KeyPath, atKey = false) =>
    at(offsetOf(doc.contents, expanded ? originalPath(path, expanded) : path, atKey));
  const validate = validatorFor(data);
  if (!validate(data)) {
    for (const error of validate.errors ?? []) {
      const path = errorPath(error);
      issues.push({
        file,
        ...locate(path, error.keyword === 'additionalProperties'),
        path,
        message: errorMessage(error),
      });
    }
    throw new ConfigErrors(dedupe(issues));
  }
  const config = data as GatewayConfig;
  config.dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(dir, config.dataDir);
  for (const problem of semanticProblems(config)) issues.push({ file, ...locate(problem.path), ...problem });
  if (issues.length > 0) throw new ConfigErrors(issues);
  return { config, file, dir, locate };
}

/** Cross-references the schema cannot express. */
function semanticProblems(config: GatewayConfig): { path: KeyPath; message: string }[] {
  const problems: { path: KeyPath; message: string }[] = [];
  const names = new Map<string, number>();
  config.routes.forEach((route, i) => {
    const seen = names.get(route.name);
    if (seen !== undefined)
      problems.push({ path: ['routes', i, 'name'], message: `duplicate route name (also routes[${seen}])` });
    names.set(route.name, i);
    if (
      !(route.upstream in config.upstreams) &&
      !/^https?:\/\//.test(route.upstream) &&
      !route.upstream.startsWith('internal:')
    ) {
      problems.push({ path: ['routes', i, 'upstream'], message: `no upstream named "${route.upstream}"` });
    }
  });
  config.listeners.forEach((listener, i) => {
    if (listener.protocol === 'https' && !listener.tls) {
      problems.push({ path: ['listeners', i], message: 'an https listener needs tls.cert and tls.key' });
    }
    if (listener.protocol === 'http' && listener.tls) {
      problems.push({ path: ['listeners', i, 'tls'], message: 'tls is only for https listeners' });
    }
  });
  return problems;
}

function errorPath(error: ErrorObject): KeyPath {
  const parts: (string | number)[] = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  if (error.keyword === 'additionalProperties') parts.push(String(error.params.additionalProperty));
  if (error.keyword === 'required') parts.push(String(error.params.missingProperty));
  return parts;
}

function errorMessage(error: ErrorObject): string {
  switch (error.keyword) {
    case 'additionalProperties':
      return 'unknown key';
    case 'required':
      return 'is required';
    case 'enum':
      return `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(error.params.allowedValue)}`;
    default:
      return error.message ?? 'is invalid';
  }
}

/** anyOf failures repeat once per branch; keep one message per path and wording. */
function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path.join('/')}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Offset of the deepest node along a key path (the key itself for a missing/unknown last key). */
function offsetOf(root: Node | null, path: KeyPath, atKey: boolean): number {
  let node: unknown = root;
  let offset = root?.range?.[0] ?? 0;
  for (const [i, part] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
      if (!pair) break;
      offset = (isScalar(pair.key) && pair.key.range?.[0]) || offset;
      if (atKey && i === path.length - 1) break;
      node = pair.value;
      if (isScalar(node) || isMap(node) || isSeq(node)) offset = node.range?.[0] ?? offset;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
      if (!node) break;
      offset = (node as Node).range?.[0] ?? offset;
    } else break;
  }
  return offset;
}

function pathOf(ancestors: readonly unknown[], node: unknown): KeyPath {
  const path: (string | number)[] = [];
  let child: unknown = node;
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const parent = ancestors[i];
    if (isPair(parent)) {
      if (isScalar(parent.key)) path.unshift(String(parent.key.value));
    } else if (isSeq(parent)) {
      path.unshift(parent.items.indexOf(child as never));
    }
    child = parent;
  }
  return path;
}
