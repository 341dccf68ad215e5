import { sniffContentType } from './sniff.js';

/** The response a POST /reflect body asks for (the CRS test-backend contract, /work/shared/ftw). */
export interface ReflectedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export type ReflectResult =
  | { readonly ok: true; readonly response: ReflectedResponse }
  | { readonly ok: false; readonly error: string };

// RFC 9110 §5.1: field-name = token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 §5.5: field-value = VCHAR, SP, HTAB and obs-text; CR, LF and NUL (response splitting)
// and anything above 0xFF (node:http throws on it) are refused.
const FORBIDDEN_IN_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade']);

/**
 * Reads `{status, headers, body, encodedBody}`: `body` is UTF-8 text, `encodedBody` base64 and
 * used only when `body` is empty. A body without a Content-Type is labelled by sniffing, as the
 * Go backend used in CRS CI does. Header names or values that cannot be sent are refused rather
 * than dropped, so a test never passes on a silently different response.
 */
export function parseReflectRequest(raw: Buffer): ReflectResult {
  let spec: unknown;
  try {
    spec = JSON.parse(raw.toString('utf8'));
  } catch {
    return { ok: false, error: 'the request body is not JSON' };
  }
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    return { ok: false, error: 'the request body must be a JSON object' };
  }
  const { status: rawStatus, headers: rawHeaders, body: rawBody, encodedBody } = spec as Record<string, unknown>;

  const status = rawStatus === undefined || rawStatus === null || rawStatus === 0 ? 200 : Number(rawStatus);
  // 1xx cannot be sent as a final response by node:http; RFC 9110 §15 defines 200-599 for finals.
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    return { ok: false, error: 'status must be an integer from 200 to 599' };
  }

  const headers: Record<string, string> = {};
  if (rawHeaders !== undefined && rawHeaders !== null) {
    if (typeof rawHeaders !== 'object' || Array.isArray(rawHeaders)) {
      return { ok: false, error: 'headers must be an object of name: value' };
    }
    for (const [name, value] of Object.entries(rawHeaders)) {
      const text =
        typeof value === 'string'
          ? value
          : typeof value === 'number' || typeof value === 'boolean'
            ? String(value)
            : undefined;
      if (!TOKEN.test(name) || text === undefined || FORBIDDEN_IN_VALUE.test(text)) {
        return { ok: false, error: 'a header name or value cannot be sent in HTTP' };
      }
      // Framing is node:http's job: a reflected Content-Length that disagrees with the body
      // would desynchronise the connection (RFC 9112 §6.3), so these names are not copied.
      if (FRAMING.has(name.toLowerCase())) continue;
      headers[name] = text;
    }
  }

  let body: Buffer;
  if (typeof rawBody === 'string' && rawBody !== '') body = Buffer.from(rawBody, 'utf8');
  else if (typeof encodedBody === 'string' && encodedBody !== '') body = Buffer.from(encodedBody, 'base64');
  else body = Buffer.alloc(0);

  if (body.length > 0 && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = sniffContentType(body);
  }
  return { ok: true, response: { status, headers, body } };
}
