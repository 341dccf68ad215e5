import type { Logger } from 'pino';
import { MemoryStore } from './memory-store.js';
import type { RedisStore } from './redis-store.js';
import type { LimitOutcome } from './spec.js';
import { type LimitRequest, type RateLimitStore, StoreUnavailableError } from './store.js';

export const FAILURE_POLICIES = ['open', 'closed'] as const;
/**
 * What to do when the shared store cannot answer: 'open' keeps limiting with this process's
 * memory store (each instance then admits up to the full limit on its own); 'closed' answers
 * 503, as ASVS 16.5.2 "fail securely" asks for protected resources.
 */
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

export type LimiterAnswer =
  | { readonly kind: 'decided'; readonly outcomes: readonly LimitOutcome[]; readonly degraded: boolean }
  | { readonly kind: 'unavailable' };

export interface RateLimiterOptions {
  readonly store: RateLimitStore;
  readonly onStoreFailure: FailurePolicy;
  /** Size of the local fallback used under the 'open' policy. */
  readonly fallbackMaxKeys: number;
  readonly logger?: Logger;
  /** Called for every decision the shared store could not make (for a metric). */
  readonly onStoreUnavailable?: () => void;
}

/** The store plus its failure policy: what the rate-limit stages call once per request. */
export class RateLimiter {
  readonly #store: RateLimitStore;
  readonly #policy: FailurePolicy;
  readonly #fallback: MemoryStore | undefined;
  readonly #logger: Logger | undefined;
  readonly #onUnavailable: (() => void) | undefined;
  #degraded = false;

  constructor(options: RateLimiterOptions) {
    this.#store = options.store;
    this.#policy = options.onStoreFailure;
    this.#logger = options.logger;
    this.#onUnavailable = options.onStoreUnavailable;
    this.#fallback =
      options.store.kind === 'memory' || options.onStoreFailure === 'closed'
        ? undefined
        : new MemoryStore({ maxKeys: options.fallbackMaxKeys });
  }

  get storeKind(): 'memory' | 'redis' {
    return this.#store.kind;
  }

  /** Synchronous with the memory store (no promise on the hot path), a promise with Redis. */
  decide(requests: readonly LimitRequest[]): LimiterAnswer | Promise<LimiterAnswer> {
    if (this.#store.kind === 'memory') {
      return { kind: 'decided', outcomes: this.#store.decide(requests) as LimitOutcome[], degraded: false };
    }
    if (!(this.#store as RedisStore).ready) return this.#failed(requests, undefined);
    return (this.#store.decide(requests) as Promise<LimitOutcome[]>).then(
      (outcomes) => {
        if (this.#degraded) {
          this.#degraded = false;
          this.#logger?.info('rate-limit store recovered');
        }
        return { kind: 'decided', outcomes, degraded: false };
      },
      (error: unknown) => {
        if (!(error instanceof StoreUnavailableError)) throw error;
        return this.#failed(requests, error);
      },
    );
  }

  #failed(requests: readonly LimitRequest[], error: StoreUnavailableError | undefined): LimiterAnswer {
    this.#onUnavailable?.();
    if (!this.#degraded) {
      this.#degraded = true;
      const cause = error?.cause instanceof Error ? error.cause.message : 'not connected';
      this.#logger?.warn({ err: cause, policy: this.#policy }, 'rate-limit store unavailable');
    }
    if (this.#fallback === undefined) return { kind: 'unavailable' };
    return { kind: 'decided', outcomes: this.#fallback.decide(requests), degraded: true };
  }

  async close(): Promise<void> {
    await this.#store.close();
    await this.#fallback?.close();
  }
}
