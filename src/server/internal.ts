import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../pipeline/context.js';

/**
 * An in-process upstream: a route with `upstream: internal:<name>` is answered by the handler a
 * service published under `internal:<name>` in services.shared, after the route's request
 * stages (rate limit, WAF, ...) have let it through. When a stage buffered the body,
 * ctx.requestBody holds it and the request stream is already consumed.
 */
export type InternalHandler = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => void;

export const INTERNAL_PREFIX = 'internal:';
