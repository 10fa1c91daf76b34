/**
 * Submit, step 4: the process.requested event — built from the submission and published on
 * the requests exchange under the process type, confirmed by the broker before the 202.
 */
import {
  AMQP_HEADERS,
  type CloudEvent,
  cloudEvent,
  EXCHANGES,
  MESSAGE_TYPES,
  type ProcessRequestedData,
} from '@stargate/contracts';
import type { FastifyRequest } from 'fastify';
import { EVENT_SOURCE } from '../../audit/audit.js';
import type { Principal } from '../../auth/principal.js';
import type { GatewayContext } from '../../http/context.js';
import { amqpHeaders } from '../amqp-headers.js';
import type { Submission } from './validate.js';

export function requestedEvent(
  request: FastifyRequest,
  principal: Principal,
  submission: Submission,
  processId: string,
  now: Date,
): CloudEvent<ProcessRequestedData> {
  const { body, type, idempotencyKey } = submission;
  const message: ProcessRequestedData = {
    processId,
    tenantId: principal.tenant.id,
    clientId: principal.clientId,
    processType: type.name,
    clientProcessId: body.clientProcessId,
    ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    payloadHash: submission.payloadHash,
    data: body.data,
    submittedAt: now.toISOString(),
    attempt: 1,
  };
  return cloudEvent(
    {
      id: `${processId}:1`,
      source: EVENT_SOURCE,
      type: MESSAGE_TYPES.processRequested,
      tenantId: principal.tenant.id,
      correlationId: request.id,
      subject: processId,
    },
    message,
    now,
  );
}

/** Resolves once the broker has confirmed the message (mandatory: an unroutable type fails). */
export async function publishRequested(
  ctx: GatewayContext,
  request: FastifyRequest,
  principal: Principal,
  processType: string,
  event: CloudEvent<ProcessRequestedData>,
): Promise<void> {
  await ctx.broker.publish(EXCHANGES.requests, processType, event, {
    messageId: event.id,
    type: event.type,
    mandatory: true,
    traceContext: request.otelContext,
    headers: amqpHeaders(request, principal, {
      [AMQP_HEADERS.processType]: processType,
      [AMQP_HEADERS.attempt]: 1,
    }),
  });
}
