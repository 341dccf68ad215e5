import { ERROR_CODES, type ErrorCode } from './codes.js';

/** RFC 9457 problem details, built from the error code alone: no client-visible internals. */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ErrorCode;
  readonly requestId: string;
  readonly errors?: readonly ProblemItem[];
}

/** One failing location, for validation errors (JSON pointer and the rule, never the value). */
export interface ProblemItem {
  readonly location: string;
  readonly rule: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemBody(
  code: ErrorCode,
  requestId: string,
  status?: number,
  errors?: readonly ProblemItem[],
): ProblemBody {
  const def = ERROR_CODES[code];
  const body: ProblemBody = {
    type: `https://portcullis.dev/errors/${code}`,
    title: def.title,
    status: status ?? def.status,
    code,
    requestId,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
  return body;
}

export function problemJson(
  code: ErrorCode,
  requestId: string,
  status?: number,
  errors?: readonly ProblemItem[],
): string {
  return JSON.stringify(problemBody(code, requestId, status, errors));
}
