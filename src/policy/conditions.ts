import { Environment } from '@marcbachmann/cel-js';
import { ConfigError, type KeyPath } from '../config/errors.js';

/** What a `when` expression sees. Everything is plain data; nothing can call out. */
export interface ConditionInput {
  readonly identity: {
    readonly subject: string;
    readonly method: string;
    readonly issuer: string;
    readonly roles: readonly string[];
    readonly permissions: readonly string[];
    readonly scopes: readonly string[];
    readonly claims: Readonly<Record<string, unknown>>;
    readonly clientId: string;
    readonly plan: string;
  };
  readonly request: {
    readonly method: string;
    readonly path: string;
    readonly params: Readonly<Record<string, string>>;
    readonly query: Readonly<Record<string, string>>;
    readonly headers: Readonly<Record<string, string>>;
    readonly clientIp: string;
  };
}

export type Condition = (input: ConditionInput) => boolean;

// Bounded at parse time so a configuration cannot make one request expensive.
const environment = new Environment({
  limits: { maxAstNodes: 500, maxDepth: 32, maxListElements: 100, maxMapEntries: 100, maxCallArguments: 8 },
})
  .registerVariable('identity', 'map')
  .registerVariable('request', 'map');

/**
 * Compiles one CEL expression at load. Syntax errors, unknown variables and expressions that are
 * not boolean are ConfigErrors carrying the key path and the line/column inside the expression.
 * At request time an evaluation error (a missing claim, a type mismatch) is a "no": conditions
 * fail closed.
 */
export function compileCondition(source: string, path: KeyPath): Condition {
  let program: ReturnType<typeof environment.parse>;
  try {
    program = environment.parse(source);
  } catch (error) {
    throw new ConfigError(path, describe(source, error));
  }
  const checked = program.check();
  if (!checked.valid) throw new ConfigError(path, describe(source, checked.error));
  if (checked.type !== 'bool' && checked.type !== 'dyn') {
    throw new ConfigError(path, `condition must be boolean, this one is ${checked.type}`);
  }
  return (input) => {
    try {
      return program(input as unknown as Record<string, unknown>) === true;
    } catch {
      return false;
    }
  };
}

/** "<message> at line L column C" from the library's error, without its source excerpt. */
function describe(source: string, error: unknown): string {
  const e = error as { message?: string; node?: { pos?: number } };
  const message = (e.message ?? String(error)).split('\n')[0]!.trim();
  const pos = e.node?.pos;
  if (typeof pos !== 'number') return `invalid CEL expression: ${message}`;
  const before = source.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `invalid CEL expression: ${message} at line ${line} column ${column}`;
}
