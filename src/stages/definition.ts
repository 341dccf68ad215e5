import type { TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { KeyPath } from '../config/errors.js';
import type { StageName } from '../pipeline/phases.js';
import type { Stage } from '../pipeline/stage.js';

/**
 * Shared services a stage may use. Drivers (database, Redis) are created lazily, only when the
 * configuration names them.
 */
export interface Services {
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Directory of the configuration file: relative paths in the config resolve against it. */
  readonly configDir: string;
  /** The data directory (SQLite file, keys, certificates). */
  readonly dataDir: string;
  /** The whole validated configuration, for stages that read another section. */
  readonly config: Readonly<Record<string, unknown>>;
  /**
   * Values other stages' setup() published for later stages (e.g. the store, the Redis client).
   * Keys are documented by the stage that sets them.
   */
  readonly shared: Map<string, unknown>;
  /**
   * True for `portcullis check`: validate everything, but open no connection and write nothing
   * (no database file, no migration, no Redis connection).
   */
  readonly dryRun?: boolean;
}

/** What a stage's create() receives about one route. */
export interface RouteSettings<R> {
  readonly name: string;
  /** `public: true` on the route: no authentication required. */
  readonly public: boolean;
  /** This stage's section of the route (undefined when the route does not mention it). */
  readonly settings: R | undefined;
  /** The whole route object, read-only, for stages that depend on other keys. */
  readonly route: Readonly<Record<string, unknown>>;
  /** Key path of the route in the config, for ConfigError positions. */
  readonly path: KeyPath;
}

/**
 * How a stage plugs into the gateway: its config schemas and its factory. The config schema is
 * assembled from every definition; the pipeline order is STAGE_ORDER.
 */
export interface StageDefinition<G = unknown, R = unknown, S = unknown> {
  readonly name: StageName;
  /** Top-level config key for settings shared by all routes, and its schema. */
  readonly global?: { readonly key: string; readonly schema: TSchema };
  /** Per-route config key (e.g. 'rateLimit' in a route) and its schema. */
  readonly route?: { readonly key: string; readonly schema: TSchema };
  /**
   * Once per loaded configuration, before any route: compile rules, open stores. Throws
   * ConfigError (with a key path) for semantic problems; other errors are fatal at start and
   * keep the old config on reload.
   */
  setup?(global: G | undefined, services: Services): Promise<S>;
  /** Once per route; undefined when the stage has nothing to do on that route. */
  create(route: RouteSettings<R>, shared: S, services: Services): Stage | undefined;
  /** Release what setup() opened, after a reload has drained the old configuration. */
  dispose?(shared: S): Promise<void>;
}

/**
 * A gateway-wide service that is not a pipeline stage (e.g. the identity provider): it has a
 * top-level config key, is set up before the stages, and may publish values in services.shared —
 * among them in-process handlers that routes reach with `upstream: internal:<name>` (published
 * under the key `internal:<name>` as an InternalHandler, see src/server/internal.ts).
 */
export interface ServiceDefinition<G = unknown, S = unknown> {
  readonly name: string;
  readonly global: { readonly key: string; readonly schema: TSchema };
  setup(global: G | undefined, services: Services): Promise<S>;
  dispose?(shared: S): Promise<void>;
}
