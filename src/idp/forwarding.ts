import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { RequestContext } from '../pipeline/context.js';

/** Purpose label of the keyed hash that stores OAuth client secrets. */
export const CLIENT_SECRET_PURPOSE = 'oauth-client-secret';

/** The body went past the endpoint's limit: answered 413. */
export class BodyTooLarge extends Error {
  constructor() {
    super('body too large');
  }
}

/**
 * The request body, at most `max` bytes: the one the gateway already read for an earlier stage,
 * or read here. Throws BodyTooLarge past the limit, without buffering the rest.
 */
export async function readBody(req: IncomingMessage, ctx: RequestContext, max: number): Promise<Buffer> {
  if (ctx.requestBody) {
    if (ctx.requestBody.length > max) throw new BodyTooLarge();
    return ctx.requestBody;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A copy of the request oidc-provider can read: scheme and host from the issuer, body replayable. */
export function forwardedRequest(
  req: IncomingMessage,
  ctx: RequestContext,
  issuer: URL,
  body: Buffer,
  headers?: Record<string, string | string[] | undefined>,
): IncomingMessage {
  const h = headers ?? issuerHeaders(req, issuer);
  if (body.length > 0) h['content-length'] = String(body.length);
  return Object.assign(Readable.from(body.length > 0 ? [body] : []), {
    method: req.method,
    url: req.url?.startsWith('/') ? req.url : ctx.rawTarget,
    headers: h,
    httpVersion: '1.1',
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    socket: req.socket,
    connection: req.socket,
  }) as unknown as IncomingMessage;
}

export function issuerHeaders(req: IncomingMessage, issuer: URL): Record<string, string | string[] | undefined> {
  const headers: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (!k.startsWith(':') && !k.startsWith('x-forwarded-')) headers[k] = v;
  headers.host = issuer.host;
  headers['x-forwarded-proto'] = issuer.protocol.slice(0, -1);
  headers['x-forwarded-host'] = issuer.host;
  return headers;
}
