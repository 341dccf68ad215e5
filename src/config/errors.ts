/** A key path into the configuration document, e.g. ['routes', 3, 'auth', 'issuers', 0]. */
export type KeyPath = readonly (string | number)[];

/**
 * A configuration problem found at load time (schema, semantics, a bad CEL expression...).
 * The loader turns the key path into file:line:column; startup errors are fatal.
 */
export class ConfigError extends Error {
  readonly path: KeyPath;
  constructor(path: KeyPath, message: string) {
    super(message);
    this.name = 'ConfigError';
    this.path = path;
  }
}

/** Several problems at once, so `portcullis check` can list every one. */
export class ConfigErrors extends Error {
  readonly errors: readonly ConfigIssue[];
  constructor(errors: readonly ConfigIssue[]) {
    super(errors.map(formatIssue).join('\n'));
    this.name = 'ConfigErrors';
    this.errors = errors;
  }
}

export interface ConfigIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: KeyPath;
  readonly message: string;
}

export function formatKeyPath(path: KeyPath): string {
  if (path.length === 0) return '(top level)';
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out;
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${formatKeyPath(issue.path)}: ${issue.message}`;
}
