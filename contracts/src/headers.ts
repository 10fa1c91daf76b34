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

export interface TraceParent {
  version: string;
  traceId: string;
  parentId: string;
  flags: string;
  sampled: boolean;
}

const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Parses a `traceparent` header; returns undefined for anything invalid, as the spec requires. */
export function parseTraceparent(header: unknown): TraceParent | undefined {
  if (typeof header !== 'string') return undefined;
  const m = TRACEPARENT_RE.exec(header.trim().toLowerCase());
  if (!m) return undefined;
  const [, version, traceId, parentId, flags, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (version === 'ff') return undefined;
  if (version === '00' && rest !== undefined) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return { version, traceId, parentId, flags, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(tp: Pick<TraceParent, 'traceId' | 'parentId' | 'sampled'>): string {
  return `00-${tp.traceId}-${tp.parentId}-${tp.sampled ? '01' : '00'}`;
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
