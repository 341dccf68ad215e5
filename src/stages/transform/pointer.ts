/**
 * JSON pointer edits (RFC 6901) on parsed documents, for the transform stage. A token '*' matches
 * every array item or object member, so `/items/*\/secret` reaches into each element.
 */

export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** Sets a value, creating missing parent objects (not arrays); a '-' token appends to an array. */
export function setAt(doc: unknown, tokens: readonly string[], value: unknown): unknown {
  if (tokens.length === 0) return structuredClone(value);
  let node = doc;
  if (!isContainer(node)) node = {};
  const root = node;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const last = i === tokens.length - 1;
    if (Array.isArray(node)) {
      const index = token === '-' ? node.length : arrayIndex(token);
      if (index === undefined || index > node.length) return root;
      if (last) node[index] = structuredClone(value);
      else {
        if (!isContainer(node[index])) node[index] = {};
        node = node[index];
      }
    } else {
      const obj = node as Record<string, unknown>;
      if (token === '__proto__') return root;
      if (last) defineMember(obj, token, structuredClone(value));
      else {
        if (!isContainer(obj[token]) || !Object.hasOwn(obj, token)) defineMember(obj, token, {});
        node = obj[token];
      }
    }
  }
  return root;
}

/** Removes what the pointer designates; a path that does not exist is left alone. */
export function removeAt(doc: unknown, tokens: readonly string[]): void {
  if (tokens.length === 0) return;
  walk(doc, tokens, 0);
}

function walk(node: unknown, tokens: readonly string[], i: number): void {
  if (!isContainer(node)) return;
  const token = tokens[i]!;
  const last = i === tokens.length - 1;
  if (Array.isArray(node)) {
    if (token === '*') {
      if (last) node.length = 0;
      else for (const item of node) walk(item, tokens, i + 1);
      return;
    }
    const index = arrayIndex(token);
    if (index === undefined || index >= node.length) return;
    if (last) node.splice(index, 1);
    else walk(node[index], tokens, i + 1);
    return;
  }
  const obj = node as Record<string, unknown>;
  if (token === '*') {
    if (last) for (const key of Object.keys(obj)) delete obj[key];
    else for (const key of Object.keys(obj)) walk(obj[key], tokens, i + 1);
    return;
  }
  if (!Object.hasOwn(obj, token)) return;
  if (last) delete obj[token];
  else walk(obj[token], tokens, i + 1);
}

// RFC 6901 §4: array indexes are decimal without leading zeros.
function arrayIndex(token: string): number | undefined {
  return /^(0|[1-9][0-9]{0,8})$/.test(token) ? Number(token) : undefined;
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return value !== null && typeof value === 'object';
}

function defineMember(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}
