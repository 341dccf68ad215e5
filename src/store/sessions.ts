import type { RepoContext } from './context.js';
import { sha256Hex } from './crypto.js';
import { json, num, numOrNull, parseJson, type Row } from './db.js';
import type {
  BanRecord,
  BanRepository,
  JsonObject,
  OidcModelRecord,
  OidcModelRepository,
  RevocationRepository,
  SessionRecord,
  SessionRepository,
} from './types.js';

function toSession(row: Row): SessionRecord {
  return {
    idHash: String(row.id_hash),
    userId: String(row.user_id),
    createdAt: num(row.created_at),
    lastSeenAt: num(row.last_seen_at),
    expiresAt: num(row.expires_at),
    data: parseJson<JsonObject>(row.data, {}),
  };
}

/**
 * Only SHA-256 of the session id is stored: a leaked table or backup yields no usable cookie
 * (OWASP Session Management Cheat Sheet). The id has ≥128 random bits, so no salt is needed.
 */
export function createSessionRepository(ctx: RepoContext): SessionRepository {
  const { db, now } = ctx;
  const getByHash = async (idHash: string) => {
    const row = await db.get('SELECT * FROM sessions WHERE id_hash = ? AND expires_at > ?', [idHash, now()]);
    return row ? toSession(row) : undefined;
  };
  return {
    async create(sessionId, session) {
      const at = now();
      const idHash = sha256Hex(sessionId);
      await db.run(
        'INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, data) VALUES (?, ?, ?, ?, ?, ?)',
        [idHash, session.userId, at, at, session.expiresAt, json(session.data ?? {})],
      );
      return {
        idHash,
        userId: session.userId,
        createdAt: at,
        lastSeenAt: at,
        expiresAt: session.expiresAt,
        data: session.data ?? {},
      };
    },
    get: (sessionId) => getByHash(sha256Hex(sessionId)),
    async touch(sessionId) {
      const at = now();
      return (
        (await db.run('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ? AND expires_at > ?', [
          at,
          sha256Hex(sessionId),
          at,
        ])) > 0
      );
    },
    async delete(sessionId) {
      return (await db.run('DELETE FROM sessions WHERE id_hash = ?', [sha256Hex(sessionId)])) > 0;
    },
    async deleteByHash(idHash) {
      return (await db.run('DELETE FROM sessions WHERE id_hash = ?', [idHash])) > 0;
    },
    async listByUser(userId) {
      return (
        await db.all('SELECT * FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at', [userId, now()])
      ).map(toSession);
    },
    async deleteByUser(userId) {
      return db.run('DELETE FROM sessions WHERE user_id = ?', [userId]);
    },
    async deleteExpired() {
      return db.run('DELETE FROM sessions WHERE expires_at <= ?', [now()]);
    },
  };
}

function toBan(row: Row): BanRecord {
  return {
    key: String(row.ban_key),
    reason: String(row.reason),
    until: numOrNull(row.until_at),
    createdAt: num(row.created_at),
  };
}

export function createBanRepository(ctx: RepoContext): BanRepository {
  const { db, now } = ctx;
  return {
    async put(ban) {
      const at = now();
      await db.run(
        `INSERT INTO bans (ban_key, reason, until_at, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (ban_key) DO UPDATE SET reason = excluded.reason, until_at = excluded.until_at,
         created_at = excluded.created_at`,
        [ban.key, ban.reason, ban.until, at],
      );
      return { key: ban.key, reason: ban.reason, until: ban.until, createdAt: at };
    },
    async get(key) {
      const row = await db.get('SELECT * FROM bans WHERE ban_key = ? AND (until_at IS NULL OR until_at > ?)', [
        key,
        now(),
      ]);
      return row ? toBan(row) : undefined;
    },
    async list() {
      return (await db.all('SELECT * FROM bans WHERE until_at IS NULL OR until_at > ? ORDER BY ban_key', [now()])).map(
        toBan,
      );
    },
    async delete(key) {
      return (await db.run('DELETE FROM bans WHERE ban_key = ?', [key])) > 0;
    },
    async deleteExpired() {
      return db.run('DELETE FROM bans WHERE until_at IS NOT NULL AND until_at <= ?', [now()]);
    },
  };
}

function toModel(row: Row): OidcModelRecord {
  return {
    model: String(row.model),
    id: String(row.id),
    payload: parseJson<JsonObject>(row.payload, {}),
    grantId: row.grant_id === null ? null : String(row.grant_id),
    uid: row.uid === null ? null : String(row.uid),
    userCode: row.user_code === null ? null : String(row.user_code),
    expiresAt: numOrNull(row.expires_at),
    consumedAt: numOrNull(row.consumed_at),
  };
}

/** Storage behind oidc-provider's seven-method adapter (one table for every model). */
export function createOidcModelRepository(ctx: RepoContext): OidcModelRepository {
  const { db, now } = ctx;
  const findBy = async (column: 'id' | 'uid' | 'user_code', model: string, value: string) => {
    const row = await db.get(
      `SELECT * FROM oidc_models WHERE model = ? AND ${column} = ? AND (expires_at IS NULL OR expires_at > ?)`,
      [model, value, now()],
    );
    return row ? toModel(row) : undefined;
  };
  return {
    async upsert(record) {
      await db.run(
        `INSERT INTO oidc_models (model, id, payload, grant_id, uid, user_code, account_id, expires_at, consumed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
         ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
         uid = excluded.uid, user_code = excluded.user_code, account_id = excluded.account_id,
         expires_at = excluded.expires_at, consumed_at = NULL`,
        [
          record.model,
          record.id,
          json(record.payload),
          record.grantId ?? null,
          record.uid ?? null,
          record.userCode ?? null,
          record.accountId ?? null,
          record.expiresAt,
        ],
      );
    },
    find: (model, id) => findBy('id', model, id),
    findByUid: (model, uid) => findBy('uid', model, uid),
    findByUserCode: (model, userCode) => findBy('user_code', model, userCode),
    async consume(model, id) {
      return (
        (await db.run('UPDATE oidc_models SET consumed_at = ? WHERE model = ? AND id = ? AND consumed_at IS NULL', [
          now(),
          model,
          id,
        ])) > 0
      );
    },
    async destroy(model, id) {
      await db.run('DELETE FROM oidc_models WHERE model = ? AND id = ?', [model, id]);
    },
    async revokeByGrantId(grantId) {
      return db.run('DELETE FROM oidc_models WHERE grant_id = ?', [grantId]);
    },
    async revokeByAccount(accountId) {
      // A model that names only its grant (not the account) goes with the grant.
      return db.run(
        `DELETE FROM oidc_models WHERE account_id = ?
         OR grant_id IN (SELECT id FROM oidc_models WHERE model = 'Grant' AND account_id = ?)`,
        [accountId, accountId],
      );
    },
    async deleteExpired() {
      return db.run('DELETE FROM oidc_models WHERE expires_at IS NOT NULL AND expires_at <= ?', [now()]);
    },
  };
}

/** PostgreSQL channel a revocation is announced on (src/auth/revocation.ts listens). */
export const REVOCATION_CHANNEL = 'portcullis_revocations';

export function createRevocationRepository(ctx: RepoContext): RevocationRepository {
  const { db, now } = ctx;
  return {
    async add(revocation) {
      const at = now();
      const values = [revocation.kind, revocation.id, revocation.until, revocation.issuedBefore ?? null, at];
      if (db.dialect === 'postgres') {
        // One statement: the row and the wake-up for every listening instance, delivered at commit.
        const row = await db.get<{ seq: unknown }>(
          `WITH added AS (INSERT INTO revocations (kind, rid, until_at, issued_before, created_at)
           VALUES (?, ?, ?, ?, ?) RETURNING seq)
           SELECT seq, pg_notify('${REVOCATION_CHANNEL}', seq::text) AS notified FROM added`,
          values,
        );
        return num(row?.seq);
      }
      const row = await db.get<{ seq: unknown }>(
        'INSERT INTO revocations (kind, rid, until_at, issued_before, created_at) VALUES (?, ?, ?, ?, ?) RETURNING seq',
        values,
      );
      return num(row?.seq);
    },
    async after(seq, createdSince, limit = 1000) {
      const rows = await db.all(
        `SELECT seq, kind, rid, until_at, issued_before FROM revocations
         WHERE (seq > ? OR created_at >= ?) AND until_at > ? ORDER BY seq LIMIT ?`,
        [seq, createdSince, now(), limit],
      );
      return rows.map((row) => ({
        seq: num(row.seq),
        kind: String(row.kind),
        id: String(row.rid),
        until: num(row.until_at),
        issuedBefore: numOrNull(row.issued_before),
      }));
    },
    async deleteExpired() {
      return db.run('DELETE FROM revocations WHERE until_at <= ?', [now()]);
    },
    async watch(onWake, onError) {
      return db.listen?.(REVOCATION_CHANNEL, onWake, onError);
    },
  };
}
