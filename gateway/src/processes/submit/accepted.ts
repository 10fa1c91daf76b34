/**
 * Submit, step 5: the 202. Its body and headers; the optimistic `accepted` state (version 0)
 * and the idempotency record's completion, written in one Redis round trip before answering.
 */
import { presentAccepted, type SubmitAcceptedBody } from '@stargate/contracts';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../auth/principal.js';
import type { GatewayContext } from '../../http/context.js';
import { redactSensitive } from '../../observability/logger.js';
import { statusUrl } from '../process-view.js';
import type { KeyClaim } from './key-claim.js';
import type { Submission } from './validate.js';

export interface Accepted {
  body: SubmitAcceptedBody;
  headers: { location: string; 'retry-after': string };
}

export function acceptedAnswer(
  ctx: GatewayContext,
  submission: Submission,
  processId: string,
  now: Date,
): Accepted {
  const { body, type } = submission;
  return {
    body: presentAccepted(
      {
        processId,
        clientProcessId: body.clientProcessId,
        processType: type.name,
        createdAt: now.toISOString(),
      },
      { estimatedDurationSeconds: type.estimatedDurationSeconds },
    ),
    headers: {
      location: statusUrl(ctx.publicUrl, processId),
      'retry-after': String(Math.max(1, Math.ceil(type.polling.firstPollSeconds))),
    },
  };
}

/**
 * Version 0: any event from the server supersedes this optimistic record. Awaited, so a status
 * read right after the 202 finds it even before the server has recorded the process. The
 * idempotency record is completed in the same Redis round trip. `recorded`: no new state — the
 * server's record answers status reads, and a stale `accepted` must not hide it. Failures are
 * logged and counted, never answered: the broker holds the request already.
 */
export async function recordAccepted(
  ctx: GatewayContext,
  request: FastifyRequest,
  principal: Principal,
  claim: KeyClaim,
  accepted: Accepted,
  recorded: boolean,
): Promise<void> {
  const tenantId = principal.tenant.id;
  const answer = { status: 202, headers: accepted.headers, body: accepted.body };
  if (recorded) {
    if (claim.kind === 'claimed')
      await ctx.idempotency.complete(tenantId, claim.key, claim.hash, answer).catch((err: Error) => {
        ctx.metrics.redisErrors.inc({ operation: 'idempotency' });
        request.log.warn({ err: err.message }, 'idempotency record not stored');
      });
    return;
  }
  const { body } = accepted;
  await ctx.stateStore
    .writeIfNewer(
      {
        processId: body.processId,
        clientProcessId: body.clientProcessId,
        processType: body.processType,
        status: 'accepted',
        tenantId,
        version: 0,
        createdAt: body.createdAt,
        updatedAt: body.createdAt,
      },
      claim.kind === 'claimed'
        ? ctx.idempotency.completion(tenantId, claim.key, claim.hash, answer)
        : undefined,
    )
    .catch((err: Error) => {
      ctx.metrics.redisErrors.inc({ operation: 'state-write' });
      request.log.warn({ err: err.message }, 'accepted state and idempotency record not stored');
    });
}

/** The payload only at debug (copied and redacted only then), never the fields its type marks sensitive. */
export function logAccepted(
  ctx: GatewayContext,
  request: FastifyRequest,
  principal: Principal,
  submission: Submission,
  processId: string,
): void {
  if (!ctx.logger.isLevelEnabled('debug')) return;
  const { body, type } = submission;
  request.log.debug(
    {
      event: 'process.accepted',
      processId,
      processType: type.name,
      tenantId: principal.tenant.id,
      data: redactSensitive(body.data, type.sensitiveFields),
    },
    'process accepted',
  );
}
