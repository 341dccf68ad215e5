import { type FSWatcher, mkdirSync, watch } from 'node:fs';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import type { ListenerConfig } from '../config/core-schema.js';
import { ConfigErrors } from '../config/errors.js';
import { type LoadedConfig, loadConfig } from '../config/load.js';
import { GatewayMetrics } from '../observability/metrics.js';
import { type CertificateReloader, createCertificateReloader } from '../tls/reloader.js';
import { tlsProtocolOptions } from '../tls/settings.js';
import { answerClientError, answerConnect } from './client-error.js';
import { createRequestHandler } from './handler.js';
import { rejectedInspector } from './rejected.js';
import { Runtime } from './runtime.js';
import { createUpgradeHandler } from './upgrade.js';

export interface StartedListener {
  readonly name: string;
  readonly protocol: 'http' | 'https';
  readonly redirect: boolean;
  readonly server: Server | http2.Http2SecureServer | https.Server;
  readonly address: AddressInfo;
}

export interface Gateway {
  readonly listeners: readonly StartedListener[];
  readonly admin: { server: Server; address: AddressInfo } | undefined;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  current(): Runtime;
  /** Re-reads the config file; an invalid one keeps the running config (resolves false). */
  reload(): Promise<boolean>;
  /** Stops accepting, drains in-flight requests (up to the drain timeout), then closes. */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Watch the config file and reload on change (and on SIGHUP when handleSignals is set). */
  readonly watchConfig?: boolean;
  readonly handleSignals?: boolean;
  /** Replace the logger (tests). */
  readonly logger?: Logger;
}

/** Logs go to stdout, or to log.file (relative to the config file's directory). */
export function createLogger(config: LoadedConfig['config'], configDir: string): Logger {
  const destination = config.log.file
    ? pino.destination({ dest: resolve(configDir, config.log.file), sync: false, mkdir: true })
    : pino.destination({ dest: 1, sync: false });
  return pino(
    { level: config.log.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    destination,
  );
}

export async function startGateway(loaded: LoadedConfig, options: StartOptions = {}): Promise<Gateway> {
  const config = loaded.config;
  const logger = options.logger ?? createLogger(config, loaded.dir);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const metrics = new GatewayMetrics();
  const onHealthChange = (upstream: string, target: string, healthy: boolean) => {
    metrics.targetHealth(upstream, target, healthy);
    logger.warn({ upstream, target, healthy }, healthy ? 'upstream target healthy again' : 'upstream target unhealthy');
  };
  let closing = false;
  let runtime = await Runtime.build(loaded, { logger, metrics: metrics.registry, onHealthChange });
  const current = () => runtime;
  const accessLogger = config.log.access ? logger.child({ kind: 'access' }) : undefined;
  const securityLogger = config.log.security ? logger.child({ kind: 'security' }) : undefined;
  const handler = createRequestHandler({
    current,
    logger,
    accessLogger,
    securityLogger,
    metrics,
    draining: () => closing,
  });
  const upgrade = createUpgradeHandler({ current, logger });
  const limits = config.server.limits;
  const hasHttps = config.listeners.some((l) => l.protocol === 'https');
  const httpsPort = config.listeners.find((l) => l.protocol === 'https')?.port;
  const reloaders: CertificateReloader[] = [];
  const sockets = new Set<Socket>();
  const listeners: StartedListener[] = [];

  const serverOptions = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts above on this period (default 30 s): keep it well below them.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 2))),
    // The handler refuses an HTTP/1.1 request without Host itself (RFC 9112 §3.2), with a
    // problem+json body and after the WAF's inspection; Node's own check would answer first.
    requireHostHeader: false,
  };
  // Refused before any handler: the WAF's inspector (top-level `waf`) still reads the bytes.
  const rejectedOptions = () => {
    const runtime = current();
    return {
      inspector: rejectedInspector(runtime),
      requestIdHeader: runtime.config.server.requestIdHeader,
      onLog: (fields: Record<string, unknown>) => logger.debug(fields, 'client error'),
    };
  };
  const onClientError = (error: Error, socket: Socket) => answerClientError(error, socket, rejectedOptions());
  const onConnect = (req: IncomingMessage, socket: Socket) => answerConnect(req, socket, rejectedOptions());

  for (const [i, l] of config.listeners.entries()) {
    const name = l.name ?? `${l.protocol}-${i}`;
    let server: Server | http2.Http2SecureServer | https.Server;
    let redirect = false;
    if (l.protocol === 'http') {
      redirect = l.redirectToHttps ?? hasHttps;
      server = http.createServer(serverOptions, redirect ? redirectHandler(l, httpsPort) : handler);
      if (!redirect) {
        server.on('upgrade', upgrade);
        server.on('connect', onConnect);
      }
    } else {
      const tls = l.tls!;
      const reloader = createCertificateReloader({
        certPath: resolve(loaded.dir, tls.cert),
        keyPath: resolve(loaded.dir, tls.key),
        ...(tls.clientCa ? { caPath: resolve(loaded.dir, tls.clientCa) } : {}),
        profile: tls.minVersion === 'TLSv1.3' ? 'modern' : 'intermediate',
        logger,
        watch: tls.reload !== false,
        onReload: (update) => {
          (server as https.Server).setSecureContext(update.options);
          logger.info({ listener: name, notAfter: update.info.notAfter }, 'TLS certificate reloaded');
        },
        onError: (error) =>
          logger.error({ listener: name, err: error.message }, 'TLS certificate reload refused; keeping the old one'),
      });
      reloaders.push(reloader);
      const protocol = tlsProtocolOptions(tls.minVersion === 'TLSv1.3' ? 'modern' : 'intermediate');
      const secure = {
        ...reloader.current.options,
        ...serverOptions,
        requestCert: Boolean(tls.clientCa),
        rejectUnauthorized: tls.requireClientCert === true,
      };
      if (l.http2 === false) {
        server = https.createServer({ ...secure, ALPNProtocols: ['http/1.1'] }, handler);
        server.on('connect', onConnect);
      } else {
        server = http2.createSecureServer(
          {
            ...secure,
            allowHTTP1: true,
            ALPNProtocols: protocol.ALPNProtocols,
            maxSessionMemory: 16,
            // Bounded streams and windows (CVE-2023-44487 rapid reset; Envoy edge defaults).
            settings: {
              maxConcurrentStreams: 100,
              initialWindowSize: 65_535,
              maxHeaderListSize: limits.maxHeaderBytes,
            },
          },
          handler as never,
        );
      }
      server.on('upgrade', upgrade);
    }
    server.on('clientError', onClientError);
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    server.on('secureConnection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    const address = await listen(server, l.port, l.host);
    listeners.push({ name, protocol: l.protocol, redirect, server, address });
    logger.info(
      { listener: name, protocol: l.protocol, address: `${address.address}:${address.port}`, redirect },
      'listening',
    );
  }

  let admin: Gateway['admin'];
  if (config.admin.enabled) {
    const server = http.createServer((req, res) => adminHandler(req, res, metrics, current, () => closing));
    const address = await listen(server, config.admin.port, config.admin.host);
    admin = { server, address };
    logger.info({ address: `${address.address}:${address.port}` }, 'admin listening');
  }

  let reloading: Promise<boolean> | undefined;
  const reload = async (): Promise<boolean> => {
    let next: Runtime;
    try {
      const fresh = loadConfig(loaded.file, options.env ? { env: options.env } : {});
      next = await Runtime.build(fresh, { logger, metrics: metrics.registry, onHealthChange });
    } catch (error) {
      const detail =
        error instanceof ConfigErrors ? error.errors.map((e) => `${e.line}:${e.column} ${e.message}`) : String(error);
      logger.error({ detail }, 'configuration reload refused; the running configuration stays');
      return false;
    }
    const old = runtime;
    runtime = next;
    old.retire();
    if (JSON.stringify(next.config.listeners) !== JSON.stringify(old.config.listeners)) {
      logger.warn('listener changes take effect at the next restart');
    }
    logger.info({ routes: next.config.routes.length }, 'configuration reloaded');
    return true;
  };
  const serializedReload = () => {
    reloading = (reloading ?? Promise.resolve(true)).then(reload, reload);
    return reloading;
  };

  let watcher: FSWatcher | undefined;
  if (options.watchConfig) {
    let timer: NodeJS.Timeout | undefined;
    watcher = watch(loaded.dir, (_event, file) => {
      if (file && resolve(loaded.dir, file.toString()) !== loaded.file) return;
      clearTimeout(timer);
      timer = setTimeout(() => void serializedReload(), 200);
    });
    watcher.unref();
  }
  const onHup = () => void serializedReload();
  if (options.handleSignals) process.on('SIGHUP', onHup);

  const close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    watcher?.close();
    process.off('SIGHUP', onHup);
    for (const r of reloaders) r.close();
    const closed = listeners.map((l) => new Promise<void>((done) => l.server.close(() => done())));
    for (const l of listeners) {
      if ('closeIdleConnections' in l.server) (l.server as Server).closeIdleConnections();
    }
    // Drain: wait for in-flight requests, then cut what is left.
    const deadline = Date.now() + config.server.limits.shutdownDrainMs;
    while (runtime.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    for (const s of sockets) s.destroy();
    await Promise.all(closed);
    if (admin) await new Promise<void>((done) => admin.server.close(() => done()));
    admin?.server.closeAllConnections();
    await runtime.dispose();
    logger.info('stopped');
    logger.flush();
  };

  return { listeners, admin, logger, metrics, current, reload: serializedReload, close };
}

function listen(
  server: Server | http2.Http2SecureServer | https.Server,
  port: number,
  host: string,
): Promise<AddressInfo> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen(server.address() as AddressInfo);
    });
  });
}

const HOST = /^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/;

/** The plain listener's only job: RFC 9110 §15.4.9 308 to the same resource over HTTPS. */
function redirectHandler(listener: ListenerConfig, httpsPort: number | undefined) {
  const port = listener.httpsPort ?? httpsPort ?? 443;
  return (req: IncomingMessage, res: ServerResponse) => {
    const rawHost = req.headers.host ?? '';
    const host = rawHost.startsWith('[') ? rawHost.slice(0, rawHost.indexOf(']') + 1) : (rawHost.split(':')[0] ?? '');
    if (!HOST.test(host)) {
      res.writeHead(400, { 'content-type': 'application/problem+json', connection: 'close' });
      res.end(JSON.stringify({ title: 'Missing or invalid Host header', status: 400, code: 'PC_ERR_BAD_REQUEST' }));
      return;
    }
    const target = req.url?.startsWith('/') ? req.url : '/';
    const location = `https://${host}${port === 443 ? '' : `:${port}`}${target}`;
    res.writeHead(308, { location, 'content-length': '0', 'cache-control': 'no-store' });
    res.end();
  };
}

function adminHandler(
  req: IncomingMessage,
  res: ServerResponse,
  metrics: GatewayMetrics,
  current: () => Runtime,
  closing: () => boolean,
): void {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
    return;
  }
  if (path === '/readyz') {
    const runtime = current();
    const down: string[] = [];
    for (const u of runtime.upstreams())
      if (u.targets.every((t) => !t.activeHealthy || t.circuitOpen)) down.push(u.name);
    const ready = !closing() && down.length === 0;
    res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: ready ? 'ready' : 'not ready', ...(down.length ? { upstreamsDown: down } : {}) }));
    return;
  }
  if (path === '/metrics') {
    metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
    return;
  }
  res.writeHead(404, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify({ title: 'Not found', status: 404, code: 'PC_ERR_NOT_FOUND' }));
}
