import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { parseReflectRequest } from './reflect.js';

export interface DemoBackendOptions {
  /** Default 127.0.0.1: the demo answers anything it is asked and must not face a network. */
  readonly host?: string;
  /** Default 9091; 0 picks a free port. */
  readonly port?: number;
  /** Header carrying the gateway's identity token (default x-portcullis-identity). */
  readonly identityHeader?: string;
}

export interface DemoBackend {
  readonly url: string;
  close(): Promise<void>;
}

const DEMO_ENDPOINTS = new Set(['/demo/public', '/demo/me', '/demo/admin']);
const REFLECT_LIMIT = 1024 * 1024;
const CLOSE_GRACE_MS = 2000;

// Forwarding and identity headers worth showing; anything else is listed by name only.
const SHOWN_HEADERS = [
  'host',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'forwarded',
  'x-request-id',
  'traceparent',
  'user-agent',
];
// Credentials are never echoed back, not even by a demo: responses end up in terminals and logs.
const SECRET_HEADERS = new Set(['authorization', 'cookie', 'x-api-key', 'proxy-authorization']);

/**
 * The backend the first run starts behind the gateway. GET /demo/public, /demo/me and
 * /demo/admin answer JSON describing what the gateway forwarded; POST /reflect answers the
 * response its JSON body describes (the CRS test-backend contract); anything else answers 200 "ok",
 * as the CRS regression tests expect of a backend.
 */
export async function startDemoBackend(options: DemoBackendOptions = {}): Promise<DemoBackend> {
  const host = options.host ?? '127.0.0.1';
  const identityHeader = (options.identityHeader ?? 'x-portcullis-identity').toLowerCase();
  const server = createServer((req, res) => handle(req, res, identityHeader));
  // The gateway may hold keep-alive connections to us; close() ends them itself.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 9091, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

function handle(req: IncomingMessage, res: ServerResponse, identityHeader: string): void {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://demo.invalid');
  } catch {
    // An absolute-form target such as `http://[` does not parse; the demo runs in the gateway's
    // process, so a throw here would take the gateway down with it.
    req.resume();
    return sendText(res, 400, 'bad request target');
  }
  const path = url.pathname;
  if (path === '/reflect' || path === '/reflect/') {
    if (req.method === 'POST') return reflect(req, res);
  }
  if (path.startsWith('/demo/')) {
    if (!DEMO_ENDPOINTS.has(path))
      return sendJson(res, 404, { error: 'no such demo endpoint', endpoints: [...DEMO_ENDPOINTS] });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendJson(res, 405, { error: 'the demo endpoints answer GET only' });
    }
    req.resume();
    return sendJson(res, 200, describe(req, path, url.search, identityHeader));
  }
  req.resume();
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '2' });
  res.end('ok');
}

function describe(req: IncomingMessage, path: string, search: string, identityHeader: string): Record<string, unknown> {
  const shown: Record<string, string | string[]> = {};
  for (const name of SHOWN_HEADERS) {
    const value = req.headers[name];
    if (value !== undefined) shown[name] = value;
  }
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-user-') && value !== undefined) shown[name] = value;
  }
  return {
    backend: 'portcullis demo',
    endpoint: path,
    method: req.method,
    query: search.startsWith('?') ? search.slice(1) : search,
    identity: decodeIdentity(req.headers[identityHeader]),
    headers: shown,
    headerNames: Object.keys(req.headers).sort(),
    credentialsReceived: [...SECRET_HEADERS].filter((name) => req.headers[name] !== undefined),
  };
}

/**
 * Decodes the gateway's identity JWT WITHOUT verifying it. A real backend must verify the
 * signature against the gateway's public key (RFC 8725 §3.1) before trusting a single claim.
 */
function decodeIdentity(value: string | string[] | undefined): Record<string, unknown> | null {
  if (value === undefined) return null;
  const token = Array.isArray(value) ? value[0]! : value;
  try {
    return {
      verified: false,
      note: 'decoded without checking the signature: a real backend must verify it',
      header: decodeProtectedHeader(token),
      claims: decodeJwt(token),
    };
  } catch {
    return { verified: false, error: 'the identity header is not a JWT' };
  }
}

function reflect(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    size += chunk.length;
    if (size > REFLECT_LIMIT) {
      refused = true;
      res.setHeader('Connection', 'close');
      sendText(res, 413, 'reflect body larger than 1 MiB');
      return;
    }
    chunks.push(chunk);
  });
  req.on('error', () => res.destroy());
  req.on('end', () => {
    if (refused) return;
    const result = parseReflectRequest(Buffer.concat(chunks));
    if (!result.ok) return sendText(res, 400, result.error);
    const { status, headers, body } = result.response;
    try {
      res.writeHead(status, { ...headers, 'Content-Length': String(body.length) });
    } catch {
      // parseReflectRequest already refuses what node:http rejects; this keeps any case it
      // missed from becoming an exception in the gateway's process.
      return sendText(res, 400, 'the described response cannot be sent');
    }
    res.end(body);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value, null, 2)}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    // Sent on purpose: the gateway's headers stage removes it, which the demo lets you see.
    'X-Powered-By': 'portcullis-demo',
  });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}
