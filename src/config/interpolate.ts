import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/**
 * `${env:NAME}`, `${env:NAME:-default}` and `${file:PATH}` references in configuration strings,
 * so secrets never have to be written inline. `$${` escapes a literal `${`.
 * File contents lose one trailing newline (secrets written by `echo` keep working).
 */
const REFERENCE = /\$(\$)?\{(env|file):([^}]*)\}/g;

export interface InterpolationContext {
  readonly env: NodeJS.ProcessEnv;
  /** Relative ${file:...} paths resolve against this directory (the config file's). */
  readonly baseDir: string;
}

export class InterpolationError extends Error {}

export function interpolate(value: string, context: InterpolationContext): string {
  if (!value.includes('${')) return value;
  return value.replace(REFERENCE, (whole, escaped: string | undefined, kind: string, body: string) => {
    if (escaped) return whole.slice(1);
    if (kind === 'env') {
      const sep = body.indexOf(':-');
      const name = sep === -1 ? body : body.slice(0, sep);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        throw new InterpolationError(`"${name}" is not a valid environment variable name`);
      const found = context.env[name];
      if (found !== undefined && found !== '') return found;
      if (sep !== -1) return body.slice(sep + 2);
      throw new InterpolationError(`environment variable ${name} is not set`);
    }
    const path = isAbsolute(body) ? body : resolve(context.baseDir, body);
    try {
      return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new InterpolationError(`cannot read ${path} (${code})`);
    }
  });
}
