import type { Transaction, TransactionObserver } from '../../waf/engine/transaction.js';
import type { Waf } from '../../waf/engine/waf.js';

/**
 * services.shared key of the RejectedInspector: set when a top-level `waf` is configured and
 * `waf.inspectRejected` is true, or unset and `waf.mode` is not `off`. The server reads it for the requests it refuses before any
 * route's pipeline runs. It lives here, in a module without runtime imports, so the server can
 * read it without loading the WAF (a configuration without `waf` never imports the engine).
 */
export const WAF_REJECTED_KEY = 'waf.inspectRejected';

/**
 * A request the HTTP layer refused before the pipeline ran (parser error, refused path, no
 * route, method not allowed, a CONNECT the gateway does not tunnel), as far as its bytes were
 * read. Values are byte strings (latin1), as the WAF sees the wire.
 */
export interface RejectedRequest {
  readonly requestId: string;
  readonly clientIp: string;
  readonly clientPort: number;
  readonly method: string;
  /** The request-target as sent. */
  readonly uri: string;
  /** `HTTP/1.1`, `HTTP/0.9`, or '' when the request line had no version. */
  readonly protocol: string;
  readonly headers: readonly (readonly [string, string])[];
  /** Body bytes that arrived with the head; never awaited. */
  readonly body?: string;
}

/** What the HTTP layer answers: the audit log's decision line records it. */
export interface RejectedOutcome {
  /** The access-log decision (`bad_request`, `not_found`, `method_not_allowed`...). */
  readonly decision: string;
  readonly status: number;
  readonly reason?: string;
}

/** The rules that matched; the HTTP layer's answer does not depend on them. */
export interface RejectedReport {
  readonly matched: readonly number[];
  readonly inbound: number;
}

export type RejectedInspector = (request: RejectedRequest, outcome: RejectedOutcome) => RejectedReport;

export interface RejectedInspectorOptions {
  readonly waf: Waf;
  /** TX seeds of the top-level settings (paranoia level, thresholds). */
  readonly tx: Readonly<Record<string, number>>;
  /** The audit log's observer: rule lines are written exactly as for a pipeline request. */
  readonly observer?: TransactionObserver;
  /** The audit log's sink, for the decision line. */
  readonly write?: (line: string) => void;
}

/** ModSecurity truncates logdata to 512 bytes; the reason is held to the same bound. */
const MAX_REASON = 512;

/**
 * Runs the WAF's request phases over a request the HTTP layer refused, so attack probes are
 * recorded even when they are malformed (ModSecurity under nginx sees most of them, because
 * nginx is lenient where Node's parser is strict). Logging only: the engine runs in
 * DetectionOnly whatever `waf.mode` says, and the caller answers the refusal it had decided on.
 * Phase 1 runs on the head, phase 2 on the body bytes that came with it (none is read for
 * this), phase 5 for the reporting rules; then one decision line carries the HTTP layer's
 * decision and status.
 */
export function createRejectedInspector(options: RejectedInspectorOptions): RejectedInspector {
  const { waf, write } = options;
  const onMatch = options.observer?.onMatch;
  return function inspectRejected(request, outcome) {
    const observer: TransactionObserver = {
      ...(onMatch ? { onMatch } : {}),
      onEnd(tx) {
        if (!write || tx.matchedRules.length === 0) return;
        write(decisionLine(tx, request, outcome));
      },
    };
    const tx = waf.newTransaction(
      {
        requestId: request.requestId,
        clientIp: request.clientIp,
        clientPort: request.clientPort,
        serverPort: 0,
        engine: 'DetectionOnly',
        tx: options.tx,
      },
      observer,
    );
    tx.processUri(request.method, request.uri, request.protocol);
    for (const [name, value] of request.headers) tx.addRequestHeader(name, value);
    tx.processRequestHeaders();
    if (request.body) tx.appendRequestBody(request.body);
    tx.processRequestBody();
    tx.processLogging();
    return { matched: tx.matchedRules.filter((m) => m.log).map((m) => m.ruleId), inbound: tx.scores.inbound };
  };
}

function decisionLine(tx: Transaction, request: RejectedRequest, outcome: RejectedOutcome): string {
  const scores = tx.scores;
  return JSON.stringify({
    time: new Date().toISOString(),
    requestId: request.requestId,
    client_ip: request.clientIp,
    client_port: request.clientPort,
    decision: outcome.decision,
    engine: 'DetectionOnly',
    layer: 'http',
    status: outcome.status,
    ...(outcome.reason ? { reason: outcome.reason.slice(0, MAX_REASON) } : {}),
    inbound_score: scores.inbound,
    outbound_score: scores.outbound,
    matched: tx.matchedRules.filter((r) => r.log).map((r) => r.ruleId),
  });
}
