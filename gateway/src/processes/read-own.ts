import type { ProcessStateData } from '@stargate/contracts';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
import type { GatewayContext } from '../http/context.js';
import { GatewayError } from '../http/errors.js';
import { takePrefetchedState } from '../state/prefetched-state.js';
import { amqpHeaders } from './amqp-headers.js';

/**
 * The state of one of the caller's processes (Redis, the state prefetched with the rate-limit
 * decision, or the server). Absent and "another tenant's" are the same answer: 404.
 */
export async function readOwnProcess(
  ctx: GatewayContext,
  request: FastifyRequest,
  principal: Principal,
  id: string,
): Promise<ProcessStateData> {
  const state = await ctx.reader.get(
    principal.tenant.id,
    id,
    amqpHeaders(request, principal),
    request.otelContext,
    takePrefetchedState(request),
  );
  if (!state || state.tenantId !== principal.tenant.id)
    throw new GatewayError('NOT_FOUND', 'No such process');
  return state;
}
