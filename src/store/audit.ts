import { createHash } from 'node:crypto';
import type { RepoContext } from './context.js';
import { json, num, parseJson, type Row, strOrNull } from './db.js';
import type {
  AuditAnchor,
  AuditEvent,
  AuditLog,
  AuditRecord,
  AuditVerifyResult,
  JsonObject,
  JsonValue,
} from './types.js';

export const GENESIS_HASH = '0'.repeat(64);

/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, JSON.stringify escaping.
 * The same event always hashes the same on both engines and across Node versions.
 */
export function canonicalJson(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys
      .filter((k) => value[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
  return JSON.stringify(value);
}

type HashedFields = Pick<AuditRecord, 'at' | 'type' | 'actor' | 'subject' | 'ip' | 'details'>;

/**
 * hash = SHA-256(prevHash || "\n" || canonical record). The sequence number is deliberately
 * not hashed: order is proven by the links alone, so a row moved to another position still
 * has a valid own hash and is reported as "reordered" rather than "modified".
 */
export function chainHash(prevHash: string, record: HashedFields): string {
  const canonical = canonicalJson({
    at: record.at,
    type: record.type,
    actor: record.actor,
    subject: record.subject,
    ip: record.ip,
    details: record.details,
  });
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

function toRecord(row: Row): AuditRecord {
  return {
    seq: num(row.seq),
    at: num(row.at),
    type: String(row.type),
    actor: strOrNull(row.actor),
    subject: strOrNull(row.subject),
    ip: strOrNull(row.ip),
    details: parseJson<JsonObject>(row.details, {}),
    prevHash: String(row.prev_hash),
    hash: String(row.hash),
  };
}

const PAGE = 1000;

export function createAuditLog(ctx: RepoContext): AuditLog {
  const { db, now } = ctx;
  return {
    async append(event: AuditEvent) {
      // Canonicalise details once: what is stored is exactly what was hashed.
      const details = JSON.parse(canonicalJson(event.details ?? {})) as JsonObject;
      return db.transaction(async (tx) => {
        // One chain across every instance sharing the database: appends are serialised by a
        // transaction-scoped lock (PostgreSQL) or the write lock of BEGIN IMMEDIATE (SQLite).
        if (db.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(7301201)');
        const last = await tx.get('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
        const seq = last ? num(last.seq) + 1 : 1;
        const prevHash = last ? String(last.hash) : GENESIS_HASH;
        const fields: HashedFields = {
          at: now(),
          type: event.type,
          actor: event.actor ?? null,
          subject: event.subject ?? null,
          ip: event.ip ?? null,
          details,
        };
        const hash = chainHash(prevHash, fields);
        await tx.run(
          'INSERT INTO audit_log (seq, at, type, actor, subject, ip, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [seq, fields.at, fields.type, fields.actor, fields.subject, fields.ip, json(details), prevHash, hash],
        );
        return { seq, ...fields, prevHash, hash };
      });
    },

    async list(filter) {
      const limit = Math.min(Math.max(Math.trunc(filter?.limit ?? 100), 1), 10_000);
      const after = filter?.afterSeq ?? 0;
      const rows =
        filter?.type === undefined
          ? await db.all('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?', [after, limit])
          : await db.all('SELECT * FROM audit_log WHERE seq > ? AND type = ? ORDER BY seq LIMIT ?', [
              after,
              filter.type,
              limit,
            ]);
      return rows.map(toRecord);
    },

    async verify(anchor?: AuditAnchor): Promise<AuditVerifyResult> {
      let prevHash = GENESIS_HASH;
      let prevPrevHash: string | undefined;
      let expectedSeq = 1;
      let count = 0;
      let anchorSeen = false;
      const fail = (
        firstBadSeq: number,
        problem: Exclude<AuditVerifyResult, { ok: true }>['problem'],
        message: string,
      ) => ({ ok: false, count, firstBadSeq, problem, message }) as const;

      for (let after = 0; ; ) {
        const rows = (await db.all('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?', [after, PAGE])).map(
          toRecord,
        );
        if (rows.length === 0) break;
        for (const row of rows) {
          count++;
          if (chainHash(row.prevHash, row) !== row.hash) {
            return fail(row.seq, 'modified', `record ${row.seq} was modified: its content does not match its hash`);
          }
          if (row.prevHash !== prevHash) {
            if (prevPrevHash !== undefined && row.prevHash === prevPrevHash) {
              return fail(
                expectedSeq - 1,
                'inserted',
                `record ${expectedSeq - 1} was inserted: record ${row.seq} does not link to it`,
              );
            }
            const linked = await db.get('SELECT seq FROM audit_log WHERE hash = ?', [row.prevHash]);
            if (linked) {
              return fail(
                row.seq,
                'reordered',
                `record ${row.seq} was reordered: it follows record ${num(linked.seq)} in the chain, not record ${expectedSeq - 1}`,
              );
            }
            return fail(
              row.seq === expectedSeq ? row.seq : expectedSeq,
              'deleted',
              row.seq === expectedSeq
                ? `the record before ${row.seq} was deleted or replaced: ${row.seq} does not link to ${expectedSeq - 1}`
                : `record ${expectedSeq} was deleted: record ${row.seq} follows record ${expectedSeq - 1}`,
            );
          }
          if (row.seq !== expectedSeq) {
            return fail(
              expectedSeq,
              'modified',
              `record ${row.seq} has a changed sequence number (expected ${expectedSeq})`,
            );
          }
          if (anchor && row.seq === anchor.seq) {
            if (row.hash !== anchor.hash) {
              return fail(row.seq, 'anchor', `record ${row.seq} does not match the anchor hash ${anchor.hash}`);
            }
            anchorSeen = true;
          }
          prevPrevHash = prevHash;
          prevHash = row.hash;
          expectedSeq++;
          after = row.seq;
        }
      }
      if (anchor && !anchorSeen) {
        return fail(anchor.seq, 'deleted', `record ${anchor.seq} (the anchor) is missing: the log was truncated`);
      }
      return { ok: true, count, lastHash: prevHash };
    },
  };
}
