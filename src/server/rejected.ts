import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import {
  type RejectedInspector,
  type RejectedOutcome,
  type RejectedRequest,
  WAF_REJECTED_KEY,
} from '../stages/waf/rejected.js';
import { parseRawRequest } from '../waf/raw-request.js';
import type { Runtime } from './runtime.js';

/** The WAF's inspector for refused requests, when a top-level `waf` asks for one. */
export function rejectedInspector(runtime: Runtime): RejectedInspector | undefined {
  return runtime.services.shared.get(WAF_REJECTED_KEY) as RejectedInspector | undefined;
}

/** A parsed request the gateway refuses before routing, as the WAF reads it. */
export function rejectedFromMessage(
  req: IncomingMessage,
  ids: { readonly requestId: string; readonly clientIp: string },
): RejectedRequest {
  const raw = req.rawHeaders;
  const headers: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    // HTTP/2 pseudo-headers are the request line, already given.
    if (name.charCodeAt(0) === 58) continue;
    headers.push([name, latin1(raw[i + 1]!)]);
  }
  return {
    requestId: ids.requestId,
    clientIp: ids.clientIp,
    clientPort: req.socket.remotePort ?? 0,
    method: req.method ?? '',
    uri: req.url ?? '',
    protocol: `HTTP/${req.httpVersion}`,
    headers,
  };
}

/**
 * The request in a packet Node's parser refused, read leniently (../waf/raw-request.ts) from the
 * start of the message the error is in: a packet can hold earlier, complete pipelined requests
 * (already served) before it. `errorOffset` is the parser's `bytesParsed`. Undefined when the
 * bytes do not begin with a request line (the packet is the tail of a longer head).
 */
export function rejectedFromPacket(
  packet: Buffer,
  errorOffset: number,
  ids: { readonly requestId: string; readonly clientIp: string; readonly clientPort: number },
): (RejectedRequest & { readonly methodToken: boolean }) | undefined {
  const text = packet.toString('latin1');
  const start = failingMessageStart(text, Math.min(Math.max(0, errorOffset), text.length));
  try {
    const parsed = parseRawRequest(text.slice(start));
    return {
      ...ids,
      // The line starts with a method token and one space (RFC 9112 §3): the method is merely
      // unknown, not malformed.
      methodToken: METHOD_TOKEN.test(text.slice(start, start + 64)),
      method: parsed.method,
      uri: parsed.uri,
      protocol: parsed.protocol,
      headers: parsed.headers,
      ...(parsed.body ? { body: parsed.body } : {}),
    };
  } catch {
    return undefined;
  }
}

const METHOD_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ [^ ]/;

/**
 * Walks the complete messages before the error: each head up to its empty line, then its
 * Content-Length body. A chunked message is not walked; the error is taken to be in it.
 */
function failingMessageStart(text: string, errorOffset: number): number {
  let start = 0;
  for (;;) {
    // RFC 9112 §2.2: empty lines before a request line are ignored.
    while (text.startsWith('\r\n', start) || text[start] === '\n') start += text[start] === '\n' ? 1 : 2;
    const crlf = text.indexOf('\r\n\r\n', start);
    const lf = text.indexOf('\n\n', start);
    const end = crlf === -1 ? (lf === -1 ? -1 : lf + 2) : lf !== -1 && lf < crlf ? lf + 2 : crlf + 4;
    if (end === -1 || end > errorOffset) return start;
    const head = text.slice(start, end);
    if (/^transfer-encoding:/im.test(head)) return start;
    const length = /^content-length:[ \t]*(\d+)[ \t]*\r?$/im.exec(head);
    const next = end + (length ? Number(length[1]) : 0);
    if (next > errorOffset) return start;
    start = next;
  }
}

/** Outcome of an inspection, for the gateway's own log line. */
export function inspect(
  inspector: RejectedInspector,
  request: RejectedRequest,
  outcome: RejectedOutcome,
): { matched: readonly number[]; inbound: number } | { error: string } {
  try {
    return inspector(request, outcome);
  } catch (error) {
    // The refusal is answered anyway; an engine fault costs only the log lines.
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** Node decodes header values as latin1; anything else is re-encoded to its bytes. */
function latin1(value: string): string {
  return /[^\u0000-\u00ff]/.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;
}

/**
 * Gives a request the handler refuses before routing (414, a bad Host, a refused path, 404, 405)
 * to the WAF's inspector, when one is configured; one map lookup otherwise.
 */
export function inspectRefused(
  runtime: Runtime,
  req: IncomingMessage,
  ids: { readonly requestId: string; readonly clientIp: string },
  outcome: RejectedOutcome,
  logger: Logger,
): void {
  const inspector = rejectedInspector(runtime);
  if (!inspector) return;
  const result = inspect(inspector, rejectedFromMessage(req, ids), outcome);
  if ('error' in result)
    logger.warn({ requestId: ids.requestId, err: result.error }, 'waf: inspecting a refused request failed');
}

// RFC 3986 §3.2.2 host (IP literal, IPv4 or reg-name with pct-encoding) and §3.2.3 port.
const HOST_FIELD = /^(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})+)(?::\d*)?$/;
const ENCODED_CONTROL = /%(?:[01][0-9A-Fa-f]|7[Ff])/;

/**
 * Why a request head is refused before routing, or undefined (the handler refuses a second Host
 * on its own). RFC 9112 §3.2: an HTTP/1.1 request carries a Host; its value is `uri-host [":" port]` and, the target
 * being an http(s) URI with an authority, not empty. A reg-name whose percent-encoding spells a
 * control character names no host (`localhost%00`). HTTP/0.9 has no headers, and a request line
 * that says `HTTP/0.9` is no HTTP/0.9 request either.
 */
export function refusedHead(req: IncomingMessage): string | undefined {
  if (req.httpVersionMajor !== 1) return req.httpVersionMajor === 0 ? 'HTTP/0.9 request' : undefined;
  // Node keeps the first Host of several; the handler refuses the others before this runs.
  const host = req.headers.host;
  if (host === undefined) return req.httpVersionMinor >= 1 ? 'no Host header' : undefined;
  if (host === '') return 'empty Host header';
  if (!HOST_FIELD.test(host) || (host.includes('%') && ENCODED_CONTROL.test(host))) return 'invalid Host header';
  return undefined;
}
