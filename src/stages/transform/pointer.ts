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

/**
 * Removes what the pointer designates; a path that does not exist is left alone. True when
 * something was removed (so an unchanged document need not be written again).
 */
export function removeAt(doc: unknown, tokens: readonly string[]): boolean {
  if (tokens.length === 0) return false;
  return walk(doc, tokens, 0);
}

function walk(node: unknown, tokens: readonly string[], i: number): boolean {
  if (!isContainer(node)) return false;
  const token = tokens[i]!;
  const last = i === tokens.length - 1;
  if (Array.isArray(node)) {
    if (token === '*') {
      if (last) {
        const removed = node.length > 0;
        node.length = 0;
        return removed;
      }
      let removed = false;
      for (const item of node) removed = walk(item, tokens, i + 1) || removed;
      return removed;
    }
    const index = arrayIndex(token);
    if (index === undefined || index >= node.length) return false;
    if (!last) return walk(node[index], tokens, i + 1);
    node.splice(index, 1);
    return true;
  }
  const obj = node as Record<string, unknown>;
  if (token === '*') {
    const keys = Object.keys(obj);
    if (last) {
      for (const key of keys) delete obj[key];
      return keys.length > 0;
    }
    let removed = false;
    for (const key of keys) removed = walk(obj[key], tokens, i + 1) || removed;
    return removed;
  }
  if (!Object.hasOwn(obj, token)) return false;
  if (!last) return walk(obj[token], tokens, i + 1);
  delete obj[token];
  return true;
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
