import { AMQP_HEADERS } from '@stargate/contracts';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';

/**
 * The headers every message and RPC a process request sends carries: its correlation id,
 * trace context and tenant, plus any of the caller's.
 */
export function amqpHeaders(
  request: FastifyRequest,
  principal: Principal,
  extra: Record<string, unknown> = {},
) {
  return {
    [AMQP_HEADERS.correlationId]: request.id,
    [AMQP_HEADERS.traceparent]: request.trace.traceparent,
    ...(request.trace.tracestate ? { [AMQP_HEADERS.tracestate]: request.trace.tracestate } : {}),
    [AMQP_HEADERS.tenantId]: principal.tenant.id,
    ...extra,
  };
}
