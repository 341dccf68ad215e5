import { closeSync, openSync, writeSync } from 'node:fs';
import { severityName } from '../actions/severity.js';
import type { Transaction, TransactionObserver } from '../engine/transaction.js';
import type { MatchedRule } from '../engine/types.js';

/** ModSecurity truncates logdata to 512 bytes; so do we, so one request cannot flood the log. */
const MAX_DATA = 512;

export interface AuditLogOptions {
  /** Called with each complete JSON line (no trailing newline). */
  readonly write: (line: string) => void;
  /** Client port per transaction id, when the caller knows it (ftw concurrency). */
  readonly clientPort?: (tx: Transaction) => number | undefined;
}

/** The paranoia level CRS tags a rule with (`paranoia-level/2`), 0 when untagged. */
export function paranoiaLevel(tags: readonly string[]): number {
  for (const t of tags) {
    const m = /^paranoia-level\/(\d)$/.exec(t);
    if (m) return Number(m[1]);
  }
  return 0;
}

/**
 * The WAF audit log as JSON lines: one line per logged rule match as it happens (ruleId, msg,
 * expanded logdata as `data`, severity, matched variables, phase, paranoia level, request id,
 * client address), then one `decision` line with the scores when the transaction ends. Lines are
 * written synchronously so they are in the file before the next request is handled (the ftw
 * contract, ../shared/ftw/README.md).
 */
export function createAuditLog(options: AuditLogOptions): TransactionObserver {
  const base = (tx: Transaction) => ({
    time: new Date().toISOString(),
    requestId: tx.id,
    client_ip: tx.scalar('REMOTE_ADDR') ?? '',
    client_port: Number(tx.scalar('REMOTE_PORT') ?? 0),
  });
  return {
    onMatch(tx, m: MatchedRule) {
      options.write(
        JSON.stringify({
          ...base(tx),
          ruleId: m.ruleId,
          msg: m.msg,
          data: m.data.length > MAX_DATA ? m.data.slice(0, MAX_DATA) : m.data,
          severity: severityName(m.severity),
          phase: m.phase,
          paranoia_level: paranoiaLevel(m.tags),
          variables: m.matches.map((v) => (v.key === '' ? v.variable : `${v.variable}:${v.key}`)),
          tags: m.tags,
          disruptive: m.disruptive,
        }),
      );
    },
    onEnd(tx) {
      if (tx.matchedRules.length === 0 && !tx.interruption) return;
      const scores = tx.scores;
      options.write(
        JSON.stringify({
          ...base(tx),
          decision: tx.interruption ? 'blocked' : tx.matchedRules.some((r) => r.disruptive) ? 'detected' : 'pass',
          engine: tx.engineMode,
          status: tx.interruption?.status,
          interrupted_by: tx.interruption?.ruleId,
          inbound_score: scores.inbound,
          outbound_score: scores.outbound,
          matched: tx.matchedRules.filter((r) => r.log).map((r) => r.ruleId),
        }),
      );
    },
  };
}

/** An append-only file sink; each line is one synchronous write. */
export function openAuditFile(path: string): { write: (line: string) => void; close: () => void } {
  const fd = openSync(path, 'a', 0o640);
  return {
    write: (line) => {
      writeSync(fd, `${line}\n`);
    },
    close: () => closeSync(fd),
  };
}
