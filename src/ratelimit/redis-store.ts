import type { Redis } from 'ioredis';
import { emissionIntervalUs } from './gcra.js';
import { RedisScript, taggedKey } from './redis-client.js';
import type { LimitOutcome, LimitSpec } from './spec.js';
import { type LimitRequest, type RateLimitStore, StoreUnavailableError } from './store.js';

// Both scripts take the time from Redis (TIME), not from the gateway: every gateway process
// then agrees on one clock, whatever the skew between hosts. Times are integer microseconds;
// integers below 2^53 are exact in Lua's doubles. Each script is the Lua twin of the pure
// function in gcra.ts / sliding-window.ts.

// KEYS[1] = bucket; ARGV = emission interval µs, capacity µs (burst * emission).
const GCRA = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local e = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then tat = now end
local nxt = tat + e
if nxt - now <= cap then
  redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.ceil((nxt - now) / 1000))
  return {1, math.floor((cap - (nxt - now)) / e), nxt - now, 0}
end
return {0, 0, tat - now, nxt - cap - now}
`);

// KEYS[1] = bucket (hash: w window index, c current count, p previous count); ARGV = period µs, limit.
const SLIDING = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local period = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = math.floor(now / period)
local s = redis.call('HMGET', KEYS[1], 'w', 'c', 'p')
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
  redis.call('HSET', KEYS[1], 'w', string.format('%.0f', window), 'c', cur + 1, 'p', prev)
  redis.call('PEXPIRE', KEYS[1], math.ceil((start + 2 * period - now) / 1000))
  return {1, math.floor(limit - estimate - 1), reset, 0}
end
local room = limit - 1
local retry
if cur <= room then
  retry = math.max(1, math.ceil(period * (1 - (room - cur) / prev)) - elapsed)
else
  retry = period - elapsed + math.max(0, math.ceil(period * (1 - room / cur)))
end
return {0, 0, reset, retry}
`);

/** What a decision script answers: allowed (1/0), remaining, reset µs, retry-after µs. */
type ScriptReply = [number, number, number, number];

const toOutcome = (reply: unknown): LimitOutcome => {
  const [allowed, remaining, resetUs, retryAfterUs] = reply as ScriptReply;
  return { allowed: allowed === 1, remaining, resetUs, retryAfterUs };
};

const unavailable = (error: unknown): never => {
  throw new StoreUnavailableError('rate-limit store did not answer', { cause: error });
};

/**
 * Shared store: one EVALSHA per limit, each atomic on its own key, so a decision is one round
 * trip however many limits a route has.
 *
 * Writes are batched per turn of the event loop: the first decision of a turn corks the socket
 * and a setImmediate uncorks it once the turn's I/O callbacks have run, so the decisions of
 * every request read in that turn leave in one write (one system call instead of one each;
 * on loopback the write was about half of a decision's CPU). Unlike ioredis auto-pipelining, which
 * this replaces, batches do not wait for the previous batch's replies.
 */
export class RedisStore implements RateLimitStore {
  readonly kind = 'redis';
  readonly #client: Redis;
  readonly #prefix: string;
  /** Script arguments per policy, as the strings they are sent as. */
  readonly #args = new WeakMap<LimitSpec, readonly string[]>();
  #corked = false;

  constructor(client: Redis, keyPrefix: string) {
    this.#client = client;
    this.#prefix = keyPrefix;
  }

  /** Whether a decision can be attempted now (false while reconnecting: fail fast). */
  get ready(): boolean {
    return this.#client.status === 'ready';
  }

  decide(requests: readonly LimitRequest[]): Promise<LimitOutcome[]> {
    this.#batchWrites();
    if (requests.length === 1) return this.#decideOne(requests[0]!).then((outcome) => [outcome], unavailable);
    return Promise.all(requests.map((request) => this.#decideOne(request))).catch(unavailable);
  }

  #decideOne({ key, spec }: LimitRequest): Promise<LimitOutcome> {
    const gcra = spec.algorithm === 'gcra';
    const bucket = taggedKey(this.#prefix, gcra ? 'rl:g' : 'rl:w', key);
    return (gcra ? GCRA : SLIDING).run(this.#client, [bucket], this.#argsOf(spec)).then(toOutcome);
  }

  #argsOf(spec: LimitSpec): readonly string[] {
    let args = this.#args.get(spec);
    if (args === undefined) {
      const e = emissionIntervalUs(spec);
      args =
        spec.algorithm === 'gcra' ? [String(e), String(spec.burst * e)] : [String(spec.periodUs), String(spec.limit)];
      this.#args.set(spec, args);
    }
    return args;
  }

  #batchWrites(): void {
    if (this.#corked) return;
    const stream = this.#client.stream;
    if (stream === undefined || !stream.writable) return;
    stream.cork();
    this.#corked = true;
    setImmediate(() => {
      this.#corked = false;
      stream.uncork();
    });
  }

  async close(): Promise<void> {
    // The client belongs to whoever opened it (shared with the ban manager).
  }
}
