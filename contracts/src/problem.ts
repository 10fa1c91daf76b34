/**
 * Errors on the wire: RFC 9457 `application/problem+json`, carrying the seed's fields too
 * (`error`, `message`, `timestamp`, `correlationId`, `retryAfter`).
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const ERROR_CODES = {
  INVALID_REQUEST: 400,
  INVALID_TOKEN: 401,
  INVALID_CLIENT: 401,
  INSUFFICIENT_PERMISSIONS: 403,
  TENANT_SUSPENDED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  CONFLICT: 409,
  IDEMPOTENCY_KEY_IN_USE: 409,
  INVALID_STATE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface Problem {
  /** URI reference naming the problem type. */
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  error: ErrorCode;
  message: string;
  timestamp: string;
  correlationId?: string;
  /** Seconds, where the client should wait before retrying. */
  retryAfter?: number;
  /** Schema violations: JSON pointer and message per failing path. */
  errors?: { path: string; message: string }[];
  /** How many violations were found when `errors` lists only the first of them. */
  errorCount?: number;
}

export function problemType(code: ErrorCode): string {
  return `https://stargate.io/problems/${code.toLowerCase().replaceAll('_', '-')}`;
}

const TITLES: Record<ErrorCode, string> = {
  INVALID_REQUEST: 'Invalid request',
  INVALID_TOKEN: 'Invalid or expired token',
  INVALID_CLIENT: 'Client authentication failed',
  INSUFFICIENT_PERMISSIONS: 'Insufficient permissions',
  TENANT_SUSPENDED: 'Tenant suspended',
  NOT_FOUND: 'Not found',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  NOT_ACCEPTABLE: 'Not acceptable',
  CONFLICT: 'Conflict',
  IDEMPOTENCY_KEY_IN_USE: 'A request with this idempotency key is still in progress',
  INVALID_STATE: 'Operation not allowed in the current state',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  IDEMPOTENCY_KEY_REUSED: 'Idempotency key reused with a different payload',
  RATE_LIMIT_EXCEEDED: 'Rate limit exceeded',
  INTERNAL_ERROR: 'Internal error',
  SERVICE_UNAVAILABLE: 'Service unavailable',
  UPSTREAM_TIMEOUT: 'Upstream timeout',
};

export function makeProblem(
  code: ErrorCode,
  message: string,
  extra: Partial<Omit<Problem, 'error' | 'message' | 'type' | 'title' | 'status'>> & { status?: number } = {},
  now: Date = new Date(),
): Problem {
  const { status, ...rest } = extra;
  return {
    type: problemType(code),
    title: TITLES[code],
    status: status ?? ERROR_CODES[code],
    error: code,
    message,
    detail: message,
    timestamp: now.toISOString(),
    ...rest,
  };
}

export function isProblem(value: unknown): value is Problem {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.error === 'string' && typeof v.status === 'number' && typeof v.message === 'string';
}
