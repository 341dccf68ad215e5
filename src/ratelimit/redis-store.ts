import type { Redis } from 'ioredis';
import { emissionIntervalUs } from './gcra.js';
import { RedisScript, taggedKey } from './redis-client.js';
import type { LimitOutcome, LimitSpec } from './spec.js';
import { type LimitRequest, type RateLimitStore, StoreUnavailableError } from './store.js';

// The script takes the time from Redis (TIME), not from the gateway: every gateway process
// then agrees on one clock, whatever the skew between hosts. Times are integer microseconds;
// integers below 2^53 are exact in Lua's doubles. Its two functions are the Lua twins of the
// pure functions in gcra.ts / sliding-window.ts.
//
// One call decides every limit of a batch, each atomically on its own key:
// KEYS[i] = bucket i; ARGV[1] = one letter per bucket, g (GCRA) or w (sliding window);
// ARGV[2i], ARGV[2i + 1] = that bucket's policy: emission interval and capacity (burst *
// emission) in µs for g, period in µs and limit for w. The reply is flat: allowed (1/0),
// remaining, reset µs, retry-after µs for each bucket in order.
const DECIDE = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local function gcra(key, e, cap)
  local tat = tonumber(redis.call('GET', key)) or 0
  if tat < now then tat = now end
  local nxt = tat + e
  if nxt - now <= cap then
    redis.call('SET', key, string.format('%.0f', nxt), 'PX', math.ceil((nxt - now) / 1000))
    return 1, math.floor((cap - (nxt - now)) / e), nxt - now, 0
  end
  return 0, 0, tat - now, nxt - cap - now
end

-- hash: w window index, c current count, p previous count
local function sliding(key, period, limit)
  local window = math.floor(now / period)
  local s = redis.call('HMGET', key, 'w', 'c', 'p')
  local cur, prev = 0, 0
  local stored = tonumber(s[1])
  if stored == window then
    cur = tonumber(s[2]) or 0
    prev = tonumber(s[3]) or 0
  elseif stored == window - 1 then
    prev = tonumber(s[2]) or 0
  end
  local start = window * period
  local elapsed = now - start
  local estimate = prev * (period - elapsed) / period + cur
  local reset = start + period - now
  if estimate + 1 <= limit then
    redis.call('HSET', key, 'w', string.format('%.0f', window), 'c', cur + 1, 'p', prev)
    redis.call('PEXPIRE', key, math.ceil((start + 2 * period - now) / 1000))
    return 1, math.floor(limit - estimate - 1), reset, 0
  end
  local room = limit - 1
  local retry
  if cur <= room then
    retry = math.max(1, math.ceil(period * (1 - (room - cur) / prev)) - elapsed)
  else
    retry = period - elapsed + math.max(0, math.ceil(period * (1 - room / cur)))
  end
  return 0, 0, reset, retry
end

local kinds = ARGV[1]
local out = {}
for i = 1, #KEYS do
  local a, b = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local o = 4 * i - 3
  if string.byte(kinds, i) == 103 then
    out[o], out[o + 1], out[o + 2], out[o + 3] = gcra(KEYS[i], a, b)
  else
    out[o], out[o + 1], out[o + 2], out[o + 3] = sliding(KEYS[i], a, b)
  end
end
return out
`);

/** One bucket's answer at `at` in the script's flat reply. */
const toOutcome = (reply: readonly number[], at: number): LimitOutcome => ({
  allowed: reply[at] === 1,
  remaining: reply[at + 1]!,
  resetUs: reply[at + 2]!,
  retryAfterUs: reply[at + 3]!,
});

/** Most buckets in one script call: bounds how long one call holds Redis (about 2 µs each). */
const MAX_BATCH = 128;

/** Requests of one decide() call: their place in the batch and who waits for them. */
interface Waiter {
  readonly from: number;
  readonly count: number;
  readonly resolve: (outcomes: LimitOutcome[]) => void;
  readonly reject: (error: unknown) => void;
}

/** The decisions of one event-loop turn, sent as one script call. */
interface Batch {
  readonly keys: string[];
  /** argv[0] is the kinds letter string, set when the batch is sent. */
  readonly argv: string[];
  kinds: string;
  readonly waiters: Waiter[];
}

/**
 * Shared store: every limit is decided atomically on its own key, by one Lua script in Redis.
 *
 * Decisions are batched per turn of the event loop: the first decision of a turn opens a batch
 * and a setImmediate sends it once the turn's I/O callbacks have run, so the decisions of every
 * request read in that turn leave as one EVALSHA (up to MAX_BATCH buckets): one command, one
 * write, one script call and one reply for the lot. Per decision that saves the client's command
 * object, promise and timeout timer, and Redis's per-call script set-up, which profiles showed
 * to be most of a decision's CPU on both sides. A batch does not wait for the previous batch's
 * reply. If the batch fails (connection lost, timeout), each of its requests gets
 * StoreUnavailableError and the failure policy applies.
 */
export class RedisStore implements RateLimitStore {
  readonly kind = 'redis';
  readonly #client: Redis;
  readonly #prefix: string;
  /** Script arguments per policy, as the strings they are sent as. */
  readonly #args = new WeakMap<LimitSpec, readonly [string, string]>();
  #batch: Batch | undefined;

  constructor(client: Redis, keyPrefix: string) {
    this.#client = client;
    this.#prefix = keyPrefix;
  }

  /** Whether a decision can be attempted now (false while reconnecting: fail fast). */
  get ready(): boolean {
    return this.#client.status === 'ready';
  }

  decide(requests: readonly LimitRequest[]): Promise<LimitOutcome[]> {
    let batch = this.#batch;
    if (batch === undefined) {
      batch = this.#open();
      setImmediate(this.#flush);
    } else if (batch.keys.length + requests.length > MAX_BATCH) {
      // Full: send it now; the flush already scheduled for this turn sends the next one.
      this.#send(batch);
      batch = this.#open();
    }
    const from = batch.keys.length;
    for (const { key, spec } of requests) {
      const gcra = spec.algorithm === 'gcra';
      const [a, b] = this.#argsOf(spec);
      batch.keys.push(taggedKey(this.#prefix, gcra ? 'rl:g' : 'rl:w', key));
      batch.argv.push(a, b);
      batch.kinds += gcra ? 'g' : 'w';
    }
    const { waiters } = batch;
    return new Promise((resolve, reject) => waiters.push({ from, count: requests.length, resolve, reject }));
  }

  #open(): Batch {
    const batch: Batch = { keys: [], argv: [''], kinds: '', waiters: [] };
    this.#batch = batch;
    return batch;
  }

  readonly #flush = (): void => {
    const batch = this.#batch;
    this.#batch = undefined;
    if (batch !== undefined) this.#send(batch);
  };

  #send(batch: Batch): void {
    batch.argv[0] = batch.kinds;
    DECIDE.run(this.#client, batch.keys, batch.argv).then(
      (reply) => {
        const values = reply as number[];
        for (const waiter of batch.waiters) {
          const outcomes: LimitOutcome[] = [];
          for (let i = waiter.from; i < waiter.from + waiter.count; i++) outcomes.push(toOutcome(values, 4 * i));
          waiter.resolve(outcomes);
        }
      },
      (error: unknown) => {
        const failure = new StoreUnavailableError('rate-limit store did not answer', { cause: error });
        for (const waiter of batch.waiters) waiter.reject(failure);
      },
    );
  }

  #argsOf(spec: LimitSpec): readonly [string, string] {
    let args = this.#args.get(spec);
    if (args === undefined) {
      const e = emissionIntervalUs(spec);
      args =
        spec.algorithm === 'gcra' ? [String(e), String(spec.burst * e)] : [String(spec.periodUs), String(spec.limit)];
      this.#args.set(spec, args);
    }
    return args;
  }

  async close(): Promise<void> {
    // The client belongs to whoever opened it (shared with the ban manager).
  }
}
