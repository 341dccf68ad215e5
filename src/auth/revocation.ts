import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { RevocationRepository } from '../store/types.js';

/**
 * What can be revoked, and by which name:
 * - jti: `<iss> <jti>` of a JWT (J-16: keyed by claims, not by the raw token, which is malleable);
 * - token: SHA-256 hex of an opaque (introspected) token;
 * - session: SHA-256 hex of a session id;
 * - apiKey: the key's public prefix ("pc_xxxxxxxx");
 * - subject: `<iss> <sub>` (or a bare user id) — every credential of that principal, whenever
 *   issued (`portcullis user disable`);
 * - cutoff: `<iss> <sub>` (or a bare user id) — the credentials of that principal issued at or
 *   before `issuedBefore` ("sign out everywhere": a password reset or change, an MFA reset);
 *   credentials issued after it are accepted.
 */
export const REVOCATION_KINDS = ['jti', 'token', 'session', 'apiKey', 'subject', 'cutoff'] as const;
export type RevocationKind = (typeof REVOCATION_KINDS)[number];

export interface Revocation {
  readonly kind: RevocationKind;
  readonly id: string;
  /**
   * Unix ms after which the entry can be forgotten (the credential would have expired anyway).
   * For a cutoff: the longest lifetime of a credential it refuses, counted from `issuedBefore`.
   */
  readonly until: number;
  /** Kind `cutoff` only (required there): Unix ms; a credential issued at or before it is refused. */
  readonly issuedBefore?: number;
}

export type RevocationListener = (revocation: Revocation) => void;

/** Spreads revocations to every gateway instance. */
export interface RevocationBus {
  publish(revocation: Revocation): Promise<void>;
  /** Called for every revocation, including ones this instance published. */
  subscribe(listener: RevocationListener): () => void;
  /** Revocations still in force, to fill a fresh instance. */
  load(): Promise<Revocation[]>;
  close(): Promise<void>;
}

/**
 * The local view every request checks: a Map lookup, no network on the data plane. Fed by the
 * bus; entries drop out once past `until`.
 */
export class RevocationList {
  readonly #entries = new Map<string, number>();
  /** Cutoffs by principal: refused when issued at or before `before`, until `until`. */
  readonly #cutoffs = new Map<string, { before: number; until: number }>();
  readonly #listeners = new Set<RevocationListener>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  add(revocation: Revocation): void {
    if (revocation.until <= this.#now()) return;
    if (revocation.kind === 'cutoff') {
      if (revocation.issuedBefore === undefined) return;
      // A later cutoff refuses everything an earlier one did: keep the latest time and the
      // longest life, whatever order the bus delivers them in.
      const previous = this.#cutoffs.get(revocation.id);
      this.#cutoffs.set(revocation.id, {
        before: Math.max(previous?.before ?? 0, revocation.issuedBefore),
        until: Math.max(previous?.until ?? 0, revocation.until),
      });
    } else {
      const key = `${revocation.kind}\u0000${revocation.id}`;
      const previous = this.#entries.get(key) ?? 0;
      this.#entries.set(key, Math.max(previous, revocation.until));
    }
    for (const listener of this.#listeners) listener(revocation);
  }

  /** Kind `cutoff`: whether a cutoff is in force for the principal (see cutsOff for the check). */
  has(kind: RevocationKind, id: string): boolean {
    if (kind === 'cutoff') return this.#cutoff(id) !== undefined;
    // Nothing revoked (the usual case): no key string built on every request.
    if (this.#entries.size === 0) return false;
    const key = `${kind}\u0000${id}`;
    const until = this.#entries.get(key);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#entries.delete(key);
    return false;
  }

  /**
   * True when a cutoff in force for the principal refuses a credential issued at `issuedAtMs`
   * (Unix ms): issued at or before the cutoff. An unknown issue time (undefined) cannot be shown
   * to be later, so it is refused while a cutoff is in force.
   */
  cutsOff(id: string, issuedAtMs: number | undefined): boolean {
    if (this.#cutoffs.size === 0) return false;
    const cutoff = this.#cutoff(id);
    return cutoff !== undefined && (issuedAtMs === undefined || issuedAtMs <= cutoff);
  }

  #cutoff(id: string): number | undefined {
    const entry = this.#cutoffs.get(id);
    if (entry === undefined) return undefined;
    if (entry.until > this.#now()) return entry.before;
    this.#cutoffs.delete(id);
    return undefined;
  }

  /** Listeners clear caches that hold credentials (verified API keys, introspection answers). */
  onRevoke(listener: RevocationListener): void {
    this.#listeners.add(listener);
  }

  get size(): number {
    return this.#entries.size + this.#cutoffs.size;
  }

  prune(): void {
    const now = this.#now();
    for (const [key, until] of this.#entries) if (until <= now) this.#entries.delete(key);
    for (const [id, entry] of this.#cutoffs) if (entry.until <= now) this.#cutoffs.delete(id);
  }
}

/** One process: an in-memory bus. */
export class MemoryRevocationBus implements RevocationBus {
  readonly #events = new EventEmitter();
  readonly #entries: Revocation[] = [];

  async publish(revocation: Revocation): Promise<void> {
    this.#entries.push(revocation);
    this.#events.emit('revoke', revocation);
  }

  subscribe(listener: RevocationListener): () => void {
    this.#events.on('revoke', listener);
    return () => this.#events.off('revoke', listener);
  }

  async load(): Promise<Revocation[]> {
    const now = Date.now();
    return this.#entries.filter((r) => r.until > now);
  }

  async close(): Promise<void> {
    this.#events.removeAllListeners();
  }
}

export function isRevocation(value: unknown): value is Revocation {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.kind === 'string' &&
    (REVOCATION_KINDS as readonly string[]).includes(r.kind) &&
    typeof r.id === 'string' &&
    r.id.length > 0 &&
    r.id.length <= 512 &&
    typeof r.until === 'number' &&
    Number.isFinite(r.until) &&
    // A cutoff without its time would refuse nothing, or (read as a subject) everything.
    (r.kind === 'cutoff'
      ? typeof r.issuedBefore === 'number' && Number.isFinite(r.issuedBefore)
      : r.issuedBefore === undefined)
  );
}

/** The revocation a store feed row stands for (rows written before cutoffs existed have no issuedBefore). */
export function fromFeedRow(row: {
  readonly kind: string;
  readonly id: string;
  readonly until: number;
  readonly issuedBefore: number | null;
}): Revocation | undefined {
  const revocation = {
    kind: row.kind,
    id: row.id,
    until: row.until,
    ...(row.issuedBefore !== null ? { issuedBefore: row.issuedBefore } : {}),
  };
  return isRevocation(revocation) ? revocation : undefined;
}

/**
 * Redis hash value of an entry: `<until>`, or `<until> <issuedBefore>` for a cutoff. An instance
 * older than cutoffs reads the latter as NaN and skips it rather than refusing the whole subject.
 */
function hashValue(revocation: Revocation): string {
  return revocation.issuedBefore === undefined
    ? String(revocation.until)
    : `${revocation.until} ${revocation.issuedBefore}`;
}

function fromHashEntry(field: string, value: string): Revocation | undefined {
  const sep = field.indexOf('\u0000');
  const space = value.indexOf(' ');
  const until = Number(space < 0 ? value : value.slice(0, space));
  const candidate = {
    kind: field.slice(0, sep),
    id: field.slice(sep + 1),
    until,
    ...(space < 0 ? {} : { issuedBefore: Number(value.slice(space + 1)) }),
  };
  return isRevocation(candidate) ? candidate : undefined;
}

/**
 * Several instances: Redis pub/sub carries each revocation to every subscriber at once (well
 * under the 1 s bound); a hash keeps the ones still in force so an instance that starts (or
 * reconnects) later loads them. Two connections, because a subscribed ioredis client can run
 * no other command.
 */
export class RedisRevocationBus implements RevocationBus {
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #channel: string;
  readonly #hash: string;
  readonly #listeners = new Set<RevocationListener>();

  private constructor(pub: Redis, sub: Redis, prefix: string) {
    this.#pub = pub;
    this.#sub = sub;
    this.#channel = `${prefix}revocations`;
    this.#hash = `${prefix}revoked`;
    this.#sub.on('message', (channel: string, message: string) => {
      if (channel !== this.#channel) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        return;
      }
      if (!isRevocation(parsed)) return;
      for (const listener of this.#listeners) listener(parsed);
    });
  }

  /**
   * Connects and subscribes. Redis being down at start does not stop the gateway: the clients
   * keep reconnecting (ioredis re-subscribes by itself), and every time the subscriber becomes
   * ready again the revocations still in force are re-read, so none published during the outage
   * is missed.
   */
  static async open(
    url: string,
    options: { keyPrefix?: string; onError?: (error: Error) => void; connectTimeoutMs?: number } = {},
  ): Promise<RedisRevocationBus> {
    const { Redis: Client } = await import('ioredis');
    const common = {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectTimeout: options.connectTimeoutMs ?? 2000,
      retryStrategy: (n: number) => Math.min(100 * n, 1000),
    };
    const pub = new Client(url, common);
    const sub = new Client(url, common);
    const onError = options.onError ?? (() => undefined);
    pub.on('error', onError);
    sub.on('error', onError);
    const bus = new RedisRevocationBus(pub, sub, options.keyPrefix ?? 'portcullis:');
    // After the first connection attempt (followBus loads the list then), every 'ready' is a
    // reconnection after which the list is re-read.
    let firstAttemptDone = false;
    sub.on('ready', () => {
      if (firstAttemptDone) bus.#replay().catch(onError);
    });
    try {
      await Promise.all([pub.connect(), sub.connect()]);
      await sub.subscribe(bus.#channel);
      firstAttemptDone = true;
    } catch (error) {
      firstAttemptDone = true;
      onError(error as Error);
      // Queued until the connection comes up; ioredis keeps retrying.
      sub.subscribe(bus.#channel).catch(() => undefined);
    }
    return bus;
  }

  async #replay(): Promise<void> {
    for (const revocation of await this.load()) for (const listener of this.#listeners) listener(revocation);
  }

  async publish(revocation: Revocation): Promise<void> {
    const field = `${revocation.kind}\u0000${revocation.id}`;
    await this.#pub
      .multi()
      .hset(this.#hash, field, hashValue(revocation))
      .publish(this.#channel, JSON.stringify(revocation))
      .exec();
  }

  subscribe(listener: RevocationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async load(): Promise<Revocation[]> {
    const all = await this.#pub.hgetall(this.#hash);
    const now = Date.now();
    const out: Revocation[] = [];
    const stale: string[] = [];
    for (const [field, value] of Object.entries(all)) {
      const candidate = fromHashEntry(field, value);
      if (!candidate) continue;
      if (candidate.until <= now) stale.push(field);
      else out.push(candidate);
    }
    if (stale.length > 0) await this.#pub.hdel(this.#hash, ...stale);
    return out;
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    // quit() waits for a reply a client that never connected will not get; disconnect() also
    // stops its reconnection timer, so nothing keeps the process alive.
    await Promise.allSettled(
      [this.#sub, this.#pub].map((client) =>
        client.status === 'ready' ? client.quit() : Promise.resolve(client.disconnect()),
      ),
    );
  }
}

/** How often a store without push (SQLite) is polled, and the safety-net poll under PostgreSQL. */
const POLL_MS = { push: 1000, poll: 250 } as const;
/** Entries created this long before the last read are read again (see RevocationRepository.after). */
const CATCH_UP_MS = 5000;
const PAGE = 1000;

/**
 * Several instances with no Redis: the store's revocation feed (a table every instance reads in
 * seq order). On PostgreSQL a NOTIFY wakes every listening instance at once; SQLite (one host:
 * node:cluster workers, the CLI) is polled every 250 ms. Either way within the 1 s bound, and an
 * instance that starts later loads what is still in force.
 */
export class StoreRevocationBus implements RevocationBus {
  readonly #feed: RevocationRepository;
  readonly #listeners = new Set<RevocationListener>();
  readonly #onError: (error: Error) => void;
  readonly #timer: NodeJS.Timeout;
  #unwatch: (() => Promise<void>) | undefined;
  #seq = 0;
  #lastRead = 0;
  #reading: Promise<void> | undefined;
  #again = false;
  #closed = false;

  private constructor(feed: RevocationRepository, onError: (error: Error) => void, pollMs: number) {
    this.#feed = feed;
    this.#onError = onError;
    this.#timer = setInterval(() => this.#wake(), pollMs);
    this.#timer.unref();
  }

  static async open(
    feed: RevocationRepository,
    options: { onError?: (error: Error) => void; pollMs?: number } = {},
  ): Promise<StoreRevocationBus> {
    const onError = options.onError ?? (() => undefined);
    let wake = (): void => undefined;
    const unwatch = await feed.watch(() => wake(), onError);
    const bus = new StoreRevocationBus(feed, onError, options.pollMs ?? (unwatch ? POLL_MS.push : POLL_MS.poll));
    bus.#unwatch = unwatch;
    wake = () => bus.#wake();
    return bus;
  }

  /** One read at a time; a wake-up during a read asks for one more right after it. */
  #wake(): void {
    if (this.#closed) return;
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = this.#read()
      .catch((error: unknown) => this.#onError(error as Error))
      .finally(() => {
        this.#reading = undefined;
        if (this.#again) {
          this.#again = false;
          this.#wake();
        }
      });
  }

  async #read(): Promise<void> {
    const startedAt = Date.now();
    // The first page also re-reads the last few seconds (late commits); later pages go by seq.
    let since = this.#lastRead === 0 ? Number.MAX_SAFE_INTEGER : this.#lastRead - CATCH_UP_MS;
    for (;;) {
      const rows = await this.#feed.after(this.#seq, since, PAGE);
      for (const row of rows) {
        this.#seq = Math.max(this.#seq, row.seq);
        const revocation = fromFeedRow(row);
        if (!revocation) continue;
        for (const listener of this.#listeners) listener(revocation);
      }
      if (rows.length < PAGE) break;
      since = Number.MAX_SAFE_INTEGER;
    }
    this.#lastRead = startedAt;
  }

  async publish(revocation: Revocation): Promise<void> {
    await this.#feed.add(revocation);
    // In force here at once; the other instances read it from the feed.
    for (const listener of this.#listeners) listener(revocation);
  }

  subscribe(listener: RevocationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async load(): Promise<Revocation[]> {
    const out: Revocation[] = [];
    const startedAt = Date.now();
    for (;;) {
      const rows = await this.#feed.after(this.#seq, Number.MAX_SAFE_INTEGER, PAGE);
      for (const row of rows) {
        this.#seq = Math.max(this.#seq, row.seq);
        const revocation = fromFeedRow(row);
        if (revocation) out.push(revocation);
      }
      if (rows.length < PAGE) break;
    }
    this.#lastRead = startedAt;
    return out;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#listeners.clear();
    await this.#reading;
    await this.#unwatch?.();
  }
}

/** Wires a bus into a local list: loads what is in force, then follows new revocations. */
export async function followBus(
  bus: RevocationBus,
  list: RevocationList,
  onError: (error: unknown) => void = () => undefined,
): Promise<() => void> {
  const unsubscribe = bus.subscribe((r) => list.add(r));
  try {
    for (const r of await bus.load()) list.add(r);
  } catch (error) {
    // Redis unreachable at start: the bus re-reads the list once it connects.
    onError(error);
  }
  return unsubscribe;
}
