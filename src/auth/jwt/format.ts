import { parseStrictJson } from '../strict-json.js';

/** Why a token was refused before any cryptography: for the log, never for the client. */
export type FormatProblem =
  | 'too_large'
  | 'not_compact_jws'
  | 'bad_base64url'
  | 'bad_json'
  | 'header_not_object'
  | 'claims_not_object'
  | 'alg_missing'
  | 'alg_none'
  | 'embedded_key'
  | 'crit'
  | 'unencoded_payload'
  | 'bad_kid';

export interface ParsedJws {
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: Readonly<Record<string, unknown>>;
}

export type FormatResult = { ok: true; value: ParsedJws } | { ok: false; problem: FormatProblem };

// rfc8725bis §3.14: a JWS compact serialization is exactly three base64url segments.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const MAX_KID_LENGTH = 256;
// A kid is only ever a map key here (RFC 8725 §3.10), but refusing path and query syntax early
// keeps hostile values out of logs and any future lookup.
const KID_SHAPE = /^[\x21-\x7e]+$/;

/**
 * Structural checks that run before the signature is verified. They reject what jose would also
 * reject, plus what it accepts but we never want: duplicate member names (RFC 7515 §4), header
 * keys that carry their own verification key (RFC 8725 §3.10: jwk, jku, x5u, x5c), `crit`
 * (we understand no extension, RFC 7515 §4.1.11) and `b64: false` (RFC 7797).
 */
export function parseCompactJws(token: string, maxBytes: number): FormatResult {
  if (token.length > maxBytes) return { ok: false, problem: 'too_large' };
  if (!COMPACT_JWS.test(token)) return { ok: false, problem: 'not_compact_jws' };
  const [h, p] = token.split('.') as [string, string, string];
  const header = decodeJsonSegment(h);
  if (header === undefined) return { ok: false, problem: 'bad_json' };
  if (header === null) return { ok: false, problem: 'bad_base64url' };
  if (!isObject(header)) return { ok: false, problem: 'header_not_object' };
  const alg = header.alg;
  if (typeof alg !== 'string' || alg === '') return { ok: false, problem: 'alg_missing' };
  // RFC 8725 §3.1 and rfc8725bis §2.11: "none" in any casing never verifies.
  if (alg.toLowerCase() === 'none') return { ok: false, problem: 'alg_none' };
  if ('jwk' in header || 'jku' in header || 'x5u' in header || 'x5c' in header) {
    return { ok: false, problem: 'embedded_key' };
  }
  if ('crit' in header) return { ok: false, problem: 'crit' };
  if ('b64' in header) return { ok: false, problem: 'unencoded_payload' };
  if ('kid' in header) {
    const kid = header.kid;
    if (typeof kid !== 'string' || kid.length > MAX_KID_LENGTH || !KID_SHAPE.test(kid)) {
      return { ok: false, problem: 'bad_kid' };
    }
  }
  const claims = decodeJsonSegment(p);
  if (claims === undefined) return { ok: false, problem: 'bad_json' };
  if (claims === null) return { ok: false, problem: 'bad_base64url' };
  if (!isObject(claims)) return { ok: false, problem: 'claims_not_object' };
  return { ok: true, value: { header, claims } };
}

/** undefined = not JSON (or duplicate names), null = not canonical base64url. */
function decodeJsonSegment(segment: string): unknown {
  const bytes = Buffer.from(segment, 'base64url');
  // Node's decoder is lenient (it skips junk and accepts non-zero trailing bits); re-encoding
  // catches segments that do not round-trip, so one token has one reading.
  if (bytes.toString('base64url') !== segment) return null;
  try {
    return parseStrictJson(UTF8.decode(bytes));
  } catch {
    return undefined;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
