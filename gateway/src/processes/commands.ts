/** `POST /processes/:id/cancel` and `/retry`: a command sent to the server on the control exchange. */
import { randomUUID } from 'node:crypto';
import {
  AMQP_HEADERS,
  API_ROUTES,
  type CommandAcceptedBody,
  CommandAcceptedSchema,
  cancelRoutingKey,
  cloudEvent,
  EXCHANGES,
  isTerminal,
  MESSAGE_TYPES,
  PROCESS_COMMANDS,
  type ProcessCommand,
  type ProcessCommandData,
  type ProcessStateData,
  ProcessIdParamsSchema,
  retryRoutingKey,
  statusPath,
} from '@stargate/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EVENT_SOURCE } from '../audit/audit.js';
import { requireScope } from '../auth/authenticate.js';
import type { Principal } from '../auth/principal.js';
import { COMMAND_BODY_LIMIT } from '../http/body-limit.js';
import type { GatewayContext } from '../http/context.js';
import { GatewayError } from '../http/errors.js';
import { amqpHeaders } from './amqp-headers.js';
import { rule } from './guard.js';
import { statusUrl } from './process-view.js';
import { readOwnProcess } from './read-own.js';
import { ERROR_RESPONSES, type ProcessApi, plainJson, routeSchema } from './route-schemas.js';

/** Refuses a command the process's state does not allow (409 INVALID_STATE). */
function checkAllowed(name: ProcessCommand, state: ProcessStateData): void {
  if (name === 'cancel' && isTerminal(state.status)) {
    throw new GatewayError('INVALID_STATE', `The process is already ${state.status}`);
  }
  if (name === 'retry' && !(state.status === 'failed' && state.error?.retryable === true)) {
    throw new GatewayError('INVALID_STATE', 'Only a failed process with a retryable error can be retried');
  }
}

async function publishCommand(
  ctx: GatewayContext,
  request: FastifyRequest,
  principal: Principal,
  name: ProcessCommand,
  id: string,
  processType: string,
): Promise<void> {
  const now = new Date(ctx.now());
  const data: ProcessCommandData = {
    processId: id,
    tenantId: principal.tenant.id,
    clientId: principal.clientId,
    command: name,
    requestedAt: now.toISOString(),
  };
  const event = cloudEvent(
    {
      id: randomUUID(),
      source: EVENT_SOURCE,
      type: name === 'cancel' ? MESSAGE_TYPES.processCancel : MESSAGE_TYPES.processRetry,
      tenantId: principal.tenant.id,
      correlationId: request.id,
      subject: id,
    },
    data,
    now,
  );
  await ctx.broker.publish(
    EXCHANGES.control,
    name === 'cancel' ? cancelRoutingKey(id) : retryRoutingKey(id),
    event,
    {
      messageId: event.id,
      type: event.type,
      mandatory: true,
      traceContext: request.otelContext,
      headers: amqpHeaders(request, principal, { [AMQP_HEADERS.processType]: processType }),
    },
  );
}

async function command(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  id: string,
  name: ProcessCommand,
): Promise<CommandAcceptedBody> {
  const principal = request.principal!;
  request.auditInfo = { action: name, processId: id };
  const state = await readOwnProcess(ctx, request, principal, id);
  request.auditInfo.processType = state.processType;
  requireScope(principal, state.processType, name === 'cancel' ? 'cancel' : 'submit');
  checkAllowed(name, state);
  await publishCommand(ctx, request, principal, name, id, state.processType);
  reply.code(202).header('location', statusUrl(ctx.publicUrl, id));
  return { processId: id, command: name, status: state.status, statusUrl: statusPath(id) };
}

export function registerCommandRoutes(api: ProcessApi, ctx: GatewayContext): void {
  for (const name of PROCESS_COMMANDS) {
    api.post(
      API_ROUTES[name],
      {
        schema: {
          summary: name === 'cancel' ? 'Cancel a running process' : 'Retry a retryable failure',
          tags: ['processes'],
          security: [{ bearer: [] }],
          params: ProcessIdParamsSchema,
          response: { 202: routeSchema(CommandAcceptedSchema), ...ERROR_RESPONSES },
        },
        serializerCompiler: plainJson,
        bodyLimit: COMMAND_BODY_LIMIT,
        config: rule(name),
      },
      (request, reply) => command(ctx, request, reply, request.params.id, name),
    );
  }
}
