/**
 * Request-target normalisation, done once per request. The result is what routing, every policy
 * and the upstream see, so an encoding trick cannot make the gateway check one path and the
 * backend serve another.
 *
 * - percent-encoded unreserved characters are decoded (RFC 3986 §6.2.2.2), other escapes are
 *   kept with upper-case hex (§6.2.2.1);
 * - dot segments are removed after that decoding, so `%2e%2e` is `..` (§5.2.4); a path that
 *   climbs above the root is refused rather than clamped;
 * - empty segments (`//`) collapse;
 * - refused outright: encoded `/` `\` NUL and control characters, raw backslashes, `;` path
 *   parameters (servlet containers strip them: `/admin;x/..` style bypasses), fragments and
 *   bytes outside printable ASCII.
 */
export type NormalizeResult =
  | { readonly ok: true; readonly path: string; readonly query: string }
  | { readonly ok: false; readonly reason: string };

const HEX = '0123456789ABCDEF';

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

function isUnreserved(code: number): boolean {
  return (
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    (code >= 48 && code <= 57) ||
    code === 45 ||
    code === 46 ||
    code === 95 ||
    code === 126
  );
}

/** Fast check: nothing to normalise (the common case costs one scan). */
function isAlreadyNormal(path: string): boolean {
  let prevSlash = false;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 47) {
      if (prevSlash) return false;
      prevSlash = true;
      continue;
    }
    if (c === 46 && prevSlash) return false; // segment starting with '.': maybe a dot segment
    prevSlash = false;
    if (c === 37 || c === 59 || c === 92 || c <= 32 || c >= 127) return false;
  }
  return true;
}

export function normalizeTarget(target: string): NormalizeResult {
  let pathPart = target;
  let query = '';
  const q = target.indexOf('?');
  if (q !== -1) {
    pathPart = target.slice(0, q);
    query = target.slice(q + 1);
  }
  if (target.includes('#')) return { ok: false, reason: 'fragment in request-target' };
  // RFC 9112 §3.2.2: absolute-form must be accepted; only its path matters here.
  if (!pathPart.startsWith('/')) {
    const m = /^https?:\/\/[^/?#]*(\/.*)?$/i.exec(pathPart);
    if (!m) return { ok: false, reason: 'request-target is not origin-form or absolute-form' };
    pathPart = m[1] ?? '/';
  }
  for (let i = 0; i < query.length; i++) {
    const c = query.charCodeAt(i);
    if (c <= 32 || c >= 127) return { ok: false, reason: 'invalid character in query' };
  }
  if (isAlreadyNormal(pathPart)) return { ok: true, path: pathPart, query };

  // Decode unreserved escapes, validate the rest.
  let decoded = '';
  for (let i = 0; i < pathPart.length; i++) {
    const c = pathPart.charCodeAt(i);
    if (c === 37) {
      const hi = hexValue(pathPart.charCodeAt(i + 1));
      const lo = hexValue(pathPart.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return { ok: false, reason: 'malformed percent-encoding' };
      const byte = hi * 16 + lo;
      if (byte === 0x2f || byte === 0x5c) return { ok: false, reason: 'encoded slash or backslash in path' };
      if (byte < 0x20 || byte === 0x7f) return { ok: false, reason: 'encoded control character in path' };
      if (byte === 0x3b) return { ok: false, reason: 'encoded semicolon in path' };
      if (byte === 0x25) {
        // "%25" stays encoded; refuse a double-encoded dot or slash outright.
        const next = pathPart.slice(i + 3, i + 5).toUpperCase();
        if (next === '2E' || next === '2F' || next === '5C')
          return { ok: false, reason: 'double percent-encoding in path' };
      }
      decoded += isUnreserved(byte) ? String.fromCharCode(byte) : `%${HEX[hi]}${HEX[lo]}`;
      i += 2;
      continue;
    }
    if (c === 92) return { ok: false, reason: 'backslash in path' };
    if (c === 59) return { ok: false, reason: 'semicolon path parameter' };
    if (c <= 32 || c >= 127) return { ok: false, reason: 'invalid character in path' };
    decoded += pathPart[i];
  }

  // Remove dot segments and empty segments.
  const segments = decoded.split('/');
  const out: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i] as string;
    const last = i === segments.length - 1;
    if (seg === '' && !last) continue;
    if (seg === '.') {
      if (last) out.push('');
      continue;
    }
    if (seg === '..') {
      if (out.length === 0) return { ok: false, reason: 'path climbs above the root' };
      out.pop();
      if (last) out.push('');
      continue;
    }
    out.push(seg);
  }
  return { ok: true, path: `/${out.join('/')}`, query };
}
