import { CLIENT_IDENTITY_HEADERS } from '@stargate/contracts';
import type { Context, Span } from '@opentelemetry/api';
import { childTraceHeaders, extractHttpContext, type TraceHeaders } from '@stargate/telemetry';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';

export interface AuditInfo {
  action: string;
  processId?: string;
  processType?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** W3C trace context to send on: our own span under the caller's trace. */
    trace: { traceparent: string; tracestate?: string };
    /** The request's SERVER span (non-recording without a tracer provider); parent of its publishes. */
    span?: Span;
    /** Context holding `span`: what AMQP producer spans are started under. */
    otelContext?: Context;
    auditInfo?: AuditInfo;
    bodySize?: number;
    /** The most this request's body may hold, decided from its caller before the body is read. */
    payloadLimit?: number;
    startedAt: bigint;
  }
}

/** Identity comes from the token only: identity headers sent by a client are dropped unseen. */
export function stripIdentityHeaders(request: FastifyRequest): void {
  for (const name of CLIENT_IDENTITY_HEADERS) delete request.headers[name];
}

/** The trace context to send on when no span is recorded: a hop of our own under the caller's trace. */
export function traceContext(request: FastifyRequest): TraceHeaders {
  return childTraceHeaders(extractHttpContext(request.headers));
}
