import type { IncomingHttpHeaders } from 'node:http';
import type { PeerCertificate } from 'node:tls';
import type { Identity } from './identity.js';
import type { Decision } from './phases.js';

/** Request headers as the gateway will forward them: lower-case names. */
export type HeaderMap = Record<string, string | string[] | undefined>;

export interface PeerInfo {
  /** Address of the TCP peer (may be a trusted proxy). */
  readonly address: string;
  readonly port: number;
  readonly tls: boolean;
  /** 'h2' or 'http/1.1' */
  readonly protocol: 'h2' | 'http/1.1' | 'http/1.0';
  /** Client certificate, present only when the TLS layer verified it against a configured CA. */
  readonly certificate?: PeerCertificate;
}

/** The upstream's answer head, mutable by response stages before it is sent on. */
export interface ResponseHead {
  status: number;
  headers: HeaderMap;
}

/**
 * Per-request state every stage sees. Fields a stage may change are mutable; the rest are the
 * facts established before the pipeline runs (normalisation, client IP, routing).
 */
export interface RequestContext {
  /** X-Request-Id: kept from a trusted client value or generated. */
  readonly id: string;
  /** performance.now() when the request head arrived. */
  readonly startedAt: number;
  readonly method: string;
  /** Normalised path ('..', '%2e', '//' and ';' handled): what routing, policies and the upstream see. */
  readonly path: string;
  /** The request-target as the client sent it. */
  readonly rawTarget: string;
  /** Raw query string without the leading '?', '' when absent. */
  readonly query: string;
  /** Host the client asked for (without port), lower case. */
  readonly host: string;
  /** Headers as received (lower-case names). Do not mutate: use upstreamHeaders. */
  readonly headers: IncomingHttpHeaders;
  /** Client IP, taken from forwarding headers only through the trusted-proxies list. */
  readonly clientIp: string;
  readonly peer: PeerInfo;
  /** Name of the matched route. */
  readonly routeName: string;
  /** Path parameters captured by the route pattern. */
  readonly params: Readonly<Record<string, string>>;
  /** Headers to send upstream; stages add, remove or rename entries here. */
  upstreamHeaders: HeaderMap;
  /** Path (without query) to request from the upstream; stages may rewrite it. */
  upstreamPath: string;
  /** Query string to send upstream (without '?'); stages may rewrite it. */
  upstreamQuery: string;
  /** The whole request body, when a stage asked for it (wantsRequestBody); stages may replace it. */
  requestBody: Buffer | undefined;
  /** The whole response body, when a stage asked for it (wantsResponseBody); stages may replace it. */
  responseBody: Buffer | undefined;
  identity: Identity | undefined;
  decision: Decision;
  /** Extra fields for this request's access-log line (e.g. waf scores). */
  readonly logFields: Record<string, unknown>;
  /** Per-stage scratch space, keyed by a symbol the stage owns. */
  readonly state: Map<symbol, unknown>;
}
