/**
 * Header names and parsing shared by every hop: HTTP (SDK → gateway) and AMQP (gateway ↔ server).
 * W3C Trace Context: https://www.w3.org/TR/trace-context/
 */
export const HTTP_HEADERS = {
  correlationId: 'x-correlation-id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  idempotencyKey: 'idempotency-key',
  prefer: 'prefer',
  preferenceApplied: 'preference-applied',
  retryAfter: 'retry-after',
  rateLimit: 'ratelimit',
  rateLimitPolicy: 'ratelimit-policy',
  xRateLimitLimit: 'x-ratelimit-limit',
  xRateLimitRemaining: 'x-ratelimit-remaining',
  xRateLimitReset: 'x-ratelimit-reset',
} as const;

/** Identity headers a client might send; the gateway strips them — the tenant comes from the token only. */
export const CLIENT_IDENTITY_HEADERS = [
  'tenant-id',
  'x-tenant-id',
  'x-client-id',
  'x-user-id',
  'x-forwarded-user',
] as const;

export const AMQP_HEADERS = {
  correlationId: 'x-correlation-id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  tenantId: 'tenant-id',
  processType: 'process-type',
  attempt: 'x-attempt',
} as const;

const CORRELATION_ID_RE = /^[A-Za-z0-9._:-]{8,128}$/;

/** A client-sent correlation id is kept only if well-formed (no injection into logs or headers). */
export function isValidCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && CORRELATION_ID_RE.test(value);
}

/** RFC 7240 `Prefer: wait=N`; returns N in seconds (capped) or undefined. */
export function parsePreferWait(header: unknown, max = 60): number | undefined {
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(',')) {
    const m = /^\s*wait\s*=\s*"?(\d{1,6})"?\s*$/i.exec(part.split(';')[0] ?? '');
    if (m) return Math.min(Number(m[1]), max);
  }
  return undefined;
}
