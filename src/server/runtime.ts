import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { GatewayConfig, RouteConfig } from '../config/core-schema.js';
import { ConfigError, ConfigErrors, type ConfigIssue } from '../config/errors.js';
import type { LoadedConfig } from '../config/load.js';
import { compilePipeline, type Pipeline } from '../pipeline/runner.js';
import type { Stage } from '../pipeline/stage.js';
import { Upstream } from '../proxy/upstream.js';
import { Router } from '../routing/router.js';
import type { ServiceDefinition, Services, StageDefinition } from '../stages/definition.js';
import {
  loadDefinitions,
  SERVICE_DEFINITIONS,
  type ServiceEntry,
  STAGE_DEFINITIONS,
  type StageEntry,
} from '../stages/registry.js';
import { INTERNAL_PREFIX, type InternalHandler } from './internal.js';

/** A route that lists no methods takes these: TRACE and CONNECT only when listed (ASVS 13.4.4). */
const DEFAULT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export interface CompiledRoute {
  readonly name: string;
  readonly config: RouteConfig;
  /** The proxied upstream; undefined for an in-process (`internal:`) one. */
  readonly upstream: Upstream | undefined;
  readonly internal: InternalHandler | undefined;
  readonly pipeline: Pipeline;
  readonly maxBodyBytes: number;
  readonly maxResponseBufferBytes: number;
  readonly stripPrefix: string | undefined;
  readonly addPrefix: string | undefined;
  readonly websocket: boolean;
}

/**
 * Everything built from one loaded configuration: routes, upstream pools, stage state. A reload
 * builds a new Runtime and swaps it in; requests keep the Runtime they started with, and the old
 * one is disposed once its last request has finished.
 */
export class Runtime {
  readonly loaded: LoadedConfig;
  readonly config: GatewayConfig;
  readonly router: Router<CompiledRoute>;
  readonly services: Services;
  inflight = 0;
  readonly #upstreams: Map<string, Upstream>;
  readonly #disposers: (() => Promise<void>)[];
  #retired = false;
  #disposed: Promise<void> | undefined;

  private constructor(
    loaded: LoadedConfig,
    router: Router<CompiledRoute>,
    services: Services,
    upstreams: Map<string, Upstream>,
    disposers: (() => Promise<void>)[],
  ) {
    this.loaded = loaded;
    this.config = loaded.config;
    this.router = router;
    this.services = services;
    this.#upstreams = upstreams;
    this.#disposers = disposers;
  }

  static async build(
    loaded: LoadedConfig,
    base: {
      logger: Logger;
      metrics: Registry;
      onHealthChange?: (u: string, t: string, healthy: boolean) => void;
      dryRun?: boolean;
    },
    stageEntries: readonly (StageEntry | StageDefinition)[] = STAGE_DEFINITIONS,
    serviceEntries: readonly (ServiceEntry | ServiceDefinition)[] = SERVICE_DEFINITIONS,
  ): Promise<Runtime> {
    const config = loaded.config;
    // Only what this configuration uses is imported (a plain proxy loads no WAF, JWT or database code).
    const definitions = await loadDefinitions<StageDefinition>(stageEntries, config);
    const serviceDefinitions = await loadDefinitions<ServiceDefinition>(serviceEntries, config);
    const services: Services = {
      logger: base.logger,
      metrics: base.metrics,
      configDir: loaded.dir,
      dataDir: config.dataDir,
      config,
      shared: new Map(),
      ...(base.dryRun ? { dryRun: true } : {}),
    };
    const issues: ConfigIssue[] = [];
    const toIssue = (error: ConfigError): ConfigIssue => ({
      file: loaded.file,
      ...loaded.locate(error.path),
      path: error.path,
      message: error.message,
    });

    const disposers: (() => Promise<void>)[] = [];
    const sharedByStage = new Map<StageDefinition, unknown>();
    try {
      for (const svc of serviceDefinitions) {
        try {
          const shared = await svc.setup(config[svc.global.key], services);
          if (svc.dispose) disposers.push(() => svc.dispose!(shared));
        } catch (error) {
          if (error instanceof ConfigError) issues.push(toIssue(error));
          else throw error;
        }
      }
      for (const def of definitions) {
        if (!def.setup) continue;
        const key = def.global?.key;
        try {
          const shared = await def.setup(key ? config[key] : undefined, services);
          sharedByStage.set(def, shared);
          if (def.dispose) disposers.push(() => def.dispose!(shared));
        } catch (error) {
          if (error instanceof ConfigError) issues.push(toIssue(error));
          else throw error;
        }
      }
      if (issues.length > 0) throw new ConfigErrors(issues);

      const onHealthChange = base.onHealthChange;
      const upstreamOptions = { configDir: loaded.dir, ...(onHealthChange ? { onHealthChange } : {}) };
      const upstreams = new Map<string, Upstream>();
      for (const [name, upstreamConfig] of Object.entries(config.upstreams)) {
        upstreams.set(name, new Upstream(name, upstreamConfig, upstreamOptions));
      }
      disposers.push(async () => {
        await Promise.all([...upstreams.values()].map((u) => u.close()));
      });

      const router = new Router<CompiledRoute>();
      config.routes.forEach((route, index) => {
        const path = ['routes', index] as const;
        const stages: Stage[] = [];
        const issuesBefore = issues.length;
        for (const def of definitions) {
          try {
            const stage = def.create(
              {
                name: route.name,
                public: route.public === true,
                settings: def.route ? route[def.route.key] : undefined,
                route,
                path,
              },
              sharedByStage.get(def),
              services,
            );
            if (stage) stages.push(stage);
          } catch (error) {
            if (error instanceof ConfigError) issues.push(toIssue(error));
            else throw error;
          }
        }
        // Default deny: a route is either explicitly public or guarded by the authenticate stage.
        if (route.public !== true && issues.length === issuesBefore && !stages.some((s) => s.name === 'authenticate')) {
          issues.push(
            toIssue(
              new ConfigError(
                [...path],
                'route has no authentication policy: add `auth` (and `allow`) or mark it `public: true`',
              ),
            ),
          );
        }
        let internal: InternalHandler | undefined;
        if (route.upstream.startsWith(INTERNAL_PREFIX)) {
          internal = services.shared.get(route.upstream) as InternalHandler | undefined;
          if (typeof internal !== 'function') {
            issues.push(
              toIssue(
                new ConfigError(
                  [...path, 'upstream'],
                  `no in-process handler "${route.upstream}" (is its service configured?)`,
                ),
              ),
            );
          }
        }
        let upstream = upstreams.get(route.upstream);
        if (!upstream && !route.upstream.startsWith(INTERNAL_PREFIX)) {
          // An inline URL: a single-target upstream with default settings.
          upstream = new Upstream(
            `route:${route.name}`,
            { targets: [route.upstream], balance: 'round-robin', connections: 128, retries: 1, preserveHost: false },
            upstreamOptions,
          );
          upstreams.set(`route:${route.name}`, upstream);
        }
        const compiled: CompiledRoute = {
          name: route.name,
          config: route,
          upstream,
          internal,
          pipeline: compilePipeline(stages),
          maxBodyBytes: route.maxBodyBytes ?? config.server.limits.maxBodyBytes,
          maxResponseBufferBytes: route.maxResponseBufferBytes ?? 1024 * 1024,
          stripPrefix: route.stripPrefix,
          addPrefix: route.addPrefix,
          websocket: route.websocket === true,
        };
        router.add(route.match.path, {
          value: compiled,
          methods: new Set(route.match.methods ?? DEFAULT_METHODS),
          hosts: route.match.hosts?.map((h) => h.toLowerCase()),
        });
      });
      if (issues.length > 0) throw new ConfigErrors(issues);
      return new Runtime(loaded, router, services, upstreams, disposers);
    } catch (error) {
      await Promise.all(disposers.map((d) => d().catch(() => undefined)));
      throw error;
    }
  }

  upstreams(): IterableIterator<Upstream> {
    return this.#upstreams.values();
  }

  /** No new requests will use this runtime; dispose it when the last one finishes. */
  retire(): void {
    this.#retired = true;
    if (this.inflight === 0) void this.dispose();
  }

  /** Called by the request handler when a request that used this runtime ends. */
  release(): void {
    this.inflight--;
    if (this.#retired && this.inflight === 0) void this.dispose();
  }

  dispose(): Promise<void> {
    this.#disposed ??= Promise.all(this.#disposers.map((d) => d().catch(() => undefined))).then(() => undefined);
    return this.#disposed;
  }
}
