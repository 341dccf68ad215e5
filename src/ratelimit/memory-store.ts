import { gcraStep } from './gcra.js';
import { slidingWindowStep, type WindowState } from './sliding-window.js';
import type { LimitOutcome } from './spec.js';
import { type LimitRequest, monotonicNowUs, type RateLimitStore } from './store.js';

interface Entry {
  expiresUs: number;
  state: number | WindowState;
}

export interface MemoryStoreOptions {
  /** Upper bound on tracked keys; the least recently written key is dropped past it. */
  readonly maxKeys: number;
  /** Clock in microseconds, injectable for tests. */
  readonly now?: () => number;
}

/** Expired entries inspected at the head of the map per decision: keeps eviction O(1). */
const SWEEP_PER_DECISION = 2;

/**
 * The embedded store. A Map keeps insertion order, and every write re-inserts its key, so the
 * head is always the least recently written entry: expired keys are swept from there a few at a
 * time, and when the map is full the head is dropped (that client starts a fresh bucket, which
 * admits more, never less; size maxKeys for the expected number of distinct clients).
 */
export class MemoryStore implements RateLimitStore {
  readonly kind = 'memory';
  readonly #entries = new Map<string, Entry>();
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(options: MemoryStoreOptions) {
    this.#maxKeys = Math.max(1, options.maxKeys);
    this.#now = options.now ?? monotonicNowUs;
  }

  get size(): number {
    return this.#entries.size;
  }

  decide(requests: readonly LimitRequest[]): LimitOutcome[] {
    const now = this.#now();
    this.#sweep(now);
    const outcomes: LimitOutcome[] = [];
    for (const request of requests) outcomes.push(this.#decideOne(request, now));
    return outcomes;
  }

  #decideOne({ key, spec }: LimitRequest, now: number): LimitOutcome {
    const found = this.#entries.get(key);
    const live = found !== undefined && found.expiresUs > now ? found.state : undefined;
    let state: number | WindowState;
    let ttlUs: number;
    let outcome: LimitOutcome;
    if (spec.algorithm === 'gcra') {
      const step = gcraStep(typeof live === 'number' ? live : undefined, now, spec);
      ({ outcome, ttlUs } = step);
      state = step.tat;
    } else {
      const step = slidingWindowStep(typeof live === 'object' ? live : undefined, now, spec);
      ({ outcome, ttlUs } = step);
      state = step.state;
    }
    // Re-inserted on every write, so the map's head stays the least recently written key.
    if (found !== undefined) this.#entries.delete(key);
    if (ttlUs > 0) {
      if (found === undefined) this.#entries.set(key, { expiresUs: now + ttlUs, state });
      else {
        found.expiresUs = now + ttlUs;
        found.state = state;
        this.#entries.set(key, found);
      }
      if (this.#entries.size > this.#maxKeys) this.#dropOldest();
    }
    return outcome;
  }

  #sweep(now: number): void {
    let budget = SWEEP_PER_DECISION;
    for (const [key, entry] of this.#entries) {
      if (budget-- === 0 || entry.expiresUs > now) return;
      this.#entries.delete(key);
    }
  }

  #dropOldest(): void {
    for (const key of this.#entries.keys()) {
      this.#entries.delete(key);
      return;
    }
  }

  async close(): Promise<void> {
    this.#entries.clear();
  }
}
