import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Pool } from 'undici';
import type { HealthCheckConfig, UpstreamConfig } from '../config/core-schema.js';

/**
 * One backend address with its keep-alive pool, its in-flight count (for least-connections)
 * and its health: a circuit breaker fed by passive failures and, when configured, an active
 * health check.
 *
 *   closed ──N consecutive failures──▶ open ──cooldown──▶ half-open ──success──▶ closed
 *                                        ▲                    │ failure
 *                                        └────────────────────┘
 */
export class Target {
  readonly url: URL;
  readonly pool: Pool;
  inflight = 0;
  #failures = 0;
  #openUntil = 0;
  #halfOpenProbe = false;
  /** Set by the active health check; true until a check says otherwise. */
  activeHealthy = true;
  readonly #threshold: number;
  readonly #cooldownMs: number;

  constructor(url: URL, pool: Pool, threshold: number, cooldownMs: number) {
    this.url = url;
    this.pool = pool;
    this.#threshold = threshold;
    this.#cooldownMs = cooldownMs;
  }

  /** Whether a request may be sent now (claims the half-open probe slot when it is used). */
  available(now: number): boolean {
    if (!this.activeHealthy) return false;
    if (this.#openUntil === 0) return true;
    if (now < this.#openUntil || this.#halfOpenProbe) return false;
    this.#halfOpenProbe = true;
    return true;
  }

  get circuitOpen(): boolean {
    return this.#openUntil !== 0;
  }

  succeeded(): void {
    this.#failures = 0;
    this.#openUntil = 0;
    this.#halfOpenProbe = false;
  }

  failed(now: number): void {
    this.#failures++;
    if (this.#halfOpenProbe || this.#failures >= this.#threshold) {
      this.#openUntil = now + this.#cooldownMs;
      this.#halfOpenProbe = false;
    }
  }
}

/** How long an upstream may take to send its response head, and (by default) between body chunks. */
const DEFAULT_HEADERS_MS = 30_000;

export interface UpstreamOptions {
  readonly configDir: string;
  readonly onHealthChange?: (upstream: string, target: string, healthy: boolean) => void;
}

export class Upstream {
  readonly name: string;
  readonly targets: readonly Target[];
  readonly retries: number;
  readonly preserveHost: boolean;
  readonly #leastConnections: boolean;
  #next = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(name: string, config: UpstreamConfig, options: UpstreamOptions) {
    this.name = name;
    this.retries = config.retries;
    this.preserveHost = config.preserveHost;
    this.#leastConnections = config.balance === 'least-connections';
    const breaker = config.circuitBreaker ?? { failures: 5, cooldownMs: 10_000 };
    const t = config.timeouts ?? {};
    const ca = config.tls?.ca ? readFileSync(resolve(options.configDir, config.tls.ca)) : undefined;
    this.targets = config.targets.map((raw) => {
      const url = new URL(raw);
      const pool = new Pool(url.origin, {
        connections: config.connections,
        pipelining: 1,
        keepAliveTimeout: t.idleMs ?? 4_000,
        headersTimeout: t.headersMs ?? DEFAULT_HEADERS_MS,
        // The body timeout defaults to the headers timeout: undici re-creates its timer when the
        // two differ and refreshes it when they are equal, one timer fewer per request (fewer
        // promotions, fewer major GCs; docs/architecture.md "Tail latency").
        bodyTimeout: t.bodyMs ?? t.headersMs ?? DEFAULT_HEADERS_MS,
        connect: {
          timeout: t.connectMs ?? 5_000,
          ...(url.protocol === 'https:'
            ? {
                ...(ca ? { ca } : {}),
                ...(config.tls?.serverName ? { servername: config.tls.serverName } : {}),
                rejectUnauthorized: config.tls?.insecureSkipVerify !== true,
              }
            : {}),
        },
      });
      return new Target(url, pool, breaker.failures, breaker.cooldownMs);
    });
    if (config.healthCheck) this.#startHealthChecks(config.healthCheck, options);
  }

  /** Picks a target that is available now, or undefined when none is (503). */
  pick(exclude?: Target): Target | undefined {
    const now = Date.now();
    const n = this.targets.length;
    if (this.#leastConnections) {
      let best: Target | undefined;
      for (const t of this.targets) {
        if (t === exclude || (best && t.inflight >= best.inflight)) continue;
        if (t.available(now)) best = t;
      }
      return best;
    }
    for (let i = 0; i < n; i++) {
      const t = this.targets[(this.#next + i) % n] as Target;
      if (t === exclude) continue;
      if (t.available(now)) {
        this.#next = (this.#next + i + 1) % n;
        return t;
      }
    }
    return undefined;
  }

  #startHealthChecks(hc: HealthCheckConfig, options: UpstreamOptions): void {
    const streak = new Map<Target, number>();
    const check = async (target: Target) => {
      let ok = false;
      try {
        const res = await target.pool.request({
          method: 'GET',
          path: hc.path,
          headersTimeout: hc.timeoutMs,
          bodyTimeout: hc.timeoutMs,
          headers: { 'user-agent': 'portcullis-health-check' },
        });
        await res.body.dump();
        ok = hc.healthyStatuses.includes(res.statusCode);
      } catch {
        ok = false;
      }
      // Count consecutive results in the same direction; flip after the configured streak.
      const prev = streak.get(target) ?? 0;
      const next = ok ? Math.max(prev, 0) + 1 : Math.min(prev, 0) - 1;
      streak.set(target, next);
      if (target.activeHealthy && next <= -hc.unhealthyAfter) {
        target.activeHealthy = false;
        options.onHealthChange?.(this.name, target.url.origin, false);
      } else if (!target.activeHealthy && next >= hc.healthyAfter) {
        target.activeHealthy = true;
        target.succeeded();
        options.onHealthChange?.(this.name, target.url.origin, true);
      }
    };
    const tick = () => {
      for (const t of this.targets) void check(t);
    };
    this.#timer = setInterval(tick, hc.intervalMs);
    this.#timer.unref();
    tick();
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await Promise.all(this.targets.map((t) => t.pool.close().catch(() => undefined)));
  }
}
