/**
 * Stable error codes. Each has one row in docs/reference/errors.md; a code is never reused for
 * another meaning. Clients see the code, the status and a fixed title; the log sees the detail.
 */
export const ERROR_CODES = {
  PC_ERR_NOT_FOUND: { status: 404, title: 'No route matches this request' },
  PC_ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed on this route' },
  PC_ERR_METHOD_NOT_IMPLEMENTED: { status: 501, title: 'Method not implemented by the gateway' },
  PC_ERR_BAD_REQUEST: { status: 400, title: 'Malformed request' },
  PC_ERR_BAD_PATH: { status: 400, title: 'Request path is not acceptable' },
  PC_ERR_HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large' },
  PC_ERR_URI_TOO_LONG: { status: 414, title: 'Request-target too long' },
  PC_ERR_BODY_TOO_LARGE: { status: 413, title: 'Request body too large' },
  PC_ERR_REQUEST_TIMEOUT: { status: 408, title: 'Request not received in time' },
  PC_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  PC_ERR_IP_DENIED: { status: 403, title: 'Client address is not allowed' },
  PC_ERR_RATE_LIMITED: { status: 429, title: 'Too many requests' },
  PC_ERR_UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  PC_ERR_INVALID_TOKEN: { status: 401, title: 'Invalid credentials' },
  PC_ERR_FORBIDDEN: { status: 403, title: 'Not allowed' },
  PC_ERR_INSUFFICIENT_SCOPE: { status: 403, title: 'Insufficient scope' },
  PC_ERR_CSRF: { status: 403, title: 'Cross-site request refused' },
  PC_ERR_VALIDATION: { status: 400, title: 'Request does not match the API description' },
  PC_ERR_WAF_BLOCKED: { status: 403, title: 'Request blocked by the web application firewall' },
  PC_ERR_CORS: { status: 403, title: 'Cross-origin request not allowed' },
  PC_ERR_UPSTREAM_UNAVAILABLE: { status: 503, title: 'Upstream unavailable' },
  PC_ERR_UPSTREAM_BAD_RESPONSE: { status: 502, title: 'Bad response from upstream' },
  PC_ERR_UPSTREAM_TIMEOUT: { status: 504, title: 'Upstream did not answer in time' },
  PC_ERR_SERVICE_UNAVAILABLE: { status: 503, title: 'Service temporarily unavailable' },
  PC_ERR_INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
