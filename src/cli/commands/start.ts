import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ConfigErrors, formatIssue } from '../../config/errors.js';
import type { LoadedConfig } from '../../config/load.js';
import type { CliIO, Command } from '../command.js';
import { configPathFrom, explicitConfigPath } from '../options.js';
import {
  avoidPretenuring,
  capYoungGeneration,
  scavengeOnMainThread,
  semiSpaceCap,
  semiSpaceExplicit,
  type YoungGenerationCap,
} from '../young-generation.js';

// Loaded only when the demo is switched on.
const DEMO_MODULE = '../../demo/index.js';

export const startCommand: Command = {
  name: 'start',
  summary: 'start the gateway (runs init first when no configuration exists)',
  help: `Usage: portcullis start [--config PATH] [--semi-space MIB]

Starts the listeners, the admin endpoint and, when configured, the demo backend. With no
--config and no ./portcullis.yaml, runs \`portcullis init\` first. server.workers > 1 (or
"auto": one per core) runs that many worker processes sharing the ports (node:cluster).
Reloads the configuration on SIGHUP and when the file changes; SIGTERM/SIGINT drain
in-flight requests and stop.

--semi-space MIB caps V8's young generation (1, 2, 4, 8 or 16 MiB per semi-space; default 4,
or none when the configuration has a waf section; 0 leaves V8's own sizing; also
PORTCULLIS_SEMI_SPACE_MB). A semi-space option given to node
itself (--max-semi-space-size, also in NODE_OPTIONS) takes precedence. V8's allocation-site
pretenuring is turned off before anything compiles (docs/architecture.md, "Memory");
--allocation-site-pretenuring given to node (or in NODE_OPTIONS) keeps it on. A process that may
use one CPU only (taskset, cpuset) scavenges on its main thread (--no-parallel-scavenge);
--parallel-scavenge given to node keeps V8's parallel scavenger.`,
  async run(argv, io) {
    // Before anything compiles: start-up's long-lived objects must not decide where per-request ones go.
    avoidPretenuring(io.env);
    // One CPU: V8's scavenger must not wait for worker threads that share it.
    scavengeOnMainThread(availableParallelism(), io.env);
    // Before the configuration is loaded: start-up garbage must not grow the young generation.
    const semiSpace = semiSpaceCap(argv, io.env);
    const youngGeneration = semiSpace === undefined ? undefined : capYoungGeneration(semiSpace);
    // Imported only now, under the cap: loading the schemas and the data plane is most of start-up's garbage.
    const { loadConfig } = await import('../../config/load.js');
    const file = configPathFrom(argv, io);
    if (!explicitConfigPath(argv) && !io.env.PORTCULLIS_CONFIG && !existsSync(file)) {
      io.stdout(`No configuration at ${file}: running init first.\n`);
      // Loaded only on first run: init brings the X.509 toolkit for the development certificate.
      const { initialize } = await import('./init.js');
      const result = await initialize(file);
      for (const f of result.created) io.stdout(`  wrote ${f}\n`);
      if (result.notes) io.stdout(result.notes);
    }
    let loaded: LoadedConfig;
    try {
      loaded = loadConfig(file, { env: io.env });
    } catch (error) {
      if (error instanceof ConfigErrors) {
        for (const issue of error.errors) io.stderr(`${formatIssue(issue)}\n`);
        return 1;
      }
      throw error;
    }
    const w = loaded.config.server.workers;
    const workers = w === 'auto' ? availableParallelism() : w;
    if (workers > 1 && cluster.isPrimary) {
      youngGeneration?.stop();
      return runPrimary(workers, io, loaded.config.server.limits.shutdownDrainMs);
    }
    // The default cap suits a proxy, whose young objects live for one request. A WAF
    // transaction keeps tens of KB alive until its response (docs/architecture.md, "Memory"):
    // there V8's own sizing costs less CPU, so the default cap is lifted; an explicit one stays.
    const wafConfigured = (loaded.config as unknown as Record<string, unknown>)['waf'] !== undefined;
    const explicitCap = semiSpaceExplicit(argv, io.env);
    if (wafConfigured && !explicitCap && youngGeneration !== undefined) {
      youngGeneration.stop();
      return runWorker(loaded, io, undefined);
    }
    return runWorker(loaded, io, youngGeneration);
  },
};

async function runWorker(
  loaded: LoadedConfig,
  io: CliIO,
  youngGeneration: YoungGenerationCap | undefined,
): Promise<number> {
  const { startGateway } = await import('../../server/gateway.js');
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway(loaded, { env: io.env, watchConfig: true, handleSignals: true });
  } catch (error) {
    if (error instanceof ConfigErrors) {
      for (const issue of error.errors) io.stderr(`${formatIssue(issue)}\n`);
      return 1;
    }
    io.stderr(`${loaded.file}: cannot start: ${(error as Error).message}\n`);
    return 1;
  }
  const config = loaded.config;
  let demo: { close(): Promise<void> } | undefined;
  if (config.demo.enabled && (cluster.isPrimary || cluster.worker?.id === 1)) {
    const { startDemoBackend } = await import(DEMO_MODULE);
    demo = await startDemoBackend({ host: config.demo.host, port: config.demo.port });
  }
  if (cluster.isPrimary) printWelcome(loaded, io);
  youngGeneration?.release();
  await new Promise<void>((resolveStop) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolveStop();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  youngGeneration?.stop();
  await gateway.close();
  await demo?.close();
  return 0;
}

function runPrimary(workers: number, io: CliIO, drainMs: number): Promise<number> {
  io.stdout(`starting ${workers} workers\n`);
  let stopping = false;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code) => {
    if (stopping) return;
    io.stderr(`worker ${worker.process.pid} exited with ${code}; starting another\n`);
    cluster.fork();
  });
  process.on('SIGHUP', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
  });
  return new Promise((resolveStop) => {
    const stop = () => {
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      // Workers drain for shutdownDrainMs; one that is stuck past twice that is killed.
      setTimeout(() => {
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      }, 2 * drainMs).unref();
      const check = setInterval(() => {
        if (Object.keys(cluster.workers ?? {}).length === 0) {
          clearInterval(check);
          resolveStop(0);
        }
      }, 50);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

function printWelcome(loaded: LoadedConfig, io: CliIO): void {
  const c = loaded.config;
  const https = c.listeners.find((l) => l.protocol === 'https');
  const http = c.listeners.find((l) => l.protocol === 'http');
  const base = https
    ? `https://localhost:${https.port}`
    : http
      ? `http://${http.host === '0.0.0.0' ? '127.0.0.1' : http.host}:${http.port}`
      : '';
  const k = https ? '-k ' : '';
  io.stdout(`\nPortcullis is running (${loaded.file}).\n`);
  for (const l of c.listeners)
    io.stdout(
      `  ${l.protocol.padEnd(5)} ${l.host}:${l.port}${l.protocol === 'http' && https && l.redirectToHttps !== false ? ' (redirects to HTTPS)' : ''}\n`,
    );
  if (c.admin.enabled) io.stdout(`  admin http://${c.admin.host}:${c.admin.port}/metrics /healthz /readyz\n`);
  if (c.demo.enabled) {
    io.stdout(`\nTry it (the development certificate is self-signed, hence -k):\n`);
    io.stdout(`  curl ${k}${base}/demo/public          # public: 200\n`);
    if (c.routes.some((r) => r.name === 'demo-me'))
      io.stdout(`  curl ${k}-i ${base}/demo/me         # needs a credential: 401\n`);
    if (c.routes.some((r) => r.name === 'demo-admin'))
      io.stdout(`  curl ${k}-i ${base}/demo/admin      # needs role admin: 401\n`);
    io.stdout(`  curl ${k}-i ${base}/nothing-here     # no route: 404 (default deny)\n`);
  }
  io.stdout('\n');
}
