import { mkdtempSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { type Gateway, startGateway } from '../../src/server/gateway.js';

/** What the test upstream saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface TestUpstream {
  readonly url: string;
  readonly port: number;
  readonly seen: SeenRequest[];
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * An upstream that answers JSON describing the request it got. `handler` may take over
 * (return true when it answered).
 */
export async function startUpstream(
  handler?: (req: IncomingMessage, res: http.ServerResponse, body: Buffer) => boolean | undefined,
): Promise<TestUpstream> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (handler?.(req, res, body)) return;
      const out = JSON.stringify({ method: req.method, url: req.url, bodyLength: body.length });
      res.writeHead(200, { 'content-type': 'application/json', 'x-powered-by': 'test', server: 'test-upstream' });
      res.end(out);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    server,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface TestGateway {
  readonly gateway: Gateway;
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly configFile: string;
  close(): Promise<void>;
}

/** Writes the YAML to a temp dir and starts a gateway from it, logging nowhere. */
export async function startTestGateway(
  yaml: string,
  options: {
    env?: NodeJS.ProcessEnv;
    watchConfig?: boolean;
    files?: Record<string, string>;
    configLogger?: boolean;
  } = {},
): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'pc-gw-'));
  for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), content);
  const configFile = join(dir, 'portcullis.yaml');
  writeFileSync(configFile, yaml);
  const env = { ...process.env, ...options.env };
  const loaded = loadConfig(configFile, { env });
  const gateway = await startGateway(loaded, {
    env,
    watchConfig: options.watchConfig ?? false,
    ...(options.configLogger ? {} : { logger: pino({ level: 'silent' }) }),
  });
  const first = gateway.listeners[0]!;
  const scheme = first.protocol === 'https' ? 'https' : 'http';
  return {
    gateway,
    url: `${scheme}://127.0.0.1:${first.address.port}`,
    port: first.address.port,
    dir,
    configFile,
    close: () => gateway.close(),
  };
}

/**
 * The part every socket test's config shares: a data directory, plain HTTP on an ephemeral
 * 127.0.0.1 port, no admin listener, no access log, and one upstream named `app`. `rest` is the
 * YAML that follows (authentication, routes, ...).
 */
export function gatewayYaml(upstream: string, rest: string, dataDir = './data'): string {
  return `dataDir: ${dataDir}
listeners:
  - protocol: http
    host: 127.0.0.1
    port: 0
admin:
  enabled: false
log:
  access: false
upstreams:
  app:
    targets: ["${upstream}"]
${rest}`;
}

/** A minimal config: plain HTTP on an ephemeral port, one public route to the upstream. */
export function proxyYaml(upstream: string, extra = ''): string {
  return gatewayYaml(
    upstream,
    `routes:
  - name: all
    match: { path: "/*" }
    upstream: app
    public: true
${extra}`,
  );
}
