/**
 * Submit, step 2: the idempotency key is claimed in Redis. A finished request with the same key
 * and payload is replayed; one in flight or with another payload is refused. Without Redis the
 * server's unique (tenant, idempotencyKey) index still deduplicates (bind-key.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../../http/context.js';
import { GatewayError } from '../../http/errors.js';
import type { StoredResponse } from '../../idempotency/idempotency-store.js';
import type { Submission } from './validate.js';

export type KeyClaim =
  /** No key: nothing to deduplicate. */
  | { kind: 'none' }
  /** Redis holds the claim; `reusedId`: an earlier attempt's process id (its confirm was lost). */
  | { kind: 'claimed'; key: string; hash: string; reusedId: string | undefined }
  /** Redis is down: the server binds the key to the first attempt's id. */
  | { kind: 'server-only'; key: string; hash: string }
  /** The key's request finished already: its answer is sent again. */
  | { kind: 'replay'; response: StoredResponse };

export async function claimKey(
  ctx: GatewayContext,
  request: FastifyRequest,
  tenantId: string,
  submission: Submission,
): Promise<KeyClaim> {
  const { idempotencyKey: key, payloadHash: hash } = submission;
  if (key === undefined) return { kind: 'none' };
  try {
    const begin = await ctx.idempotency.begin(tenantId, key, hash);
    if (begin.kind === 'mismatch') {
      throw new GatewayError(
        'IDEMPOTENCY_KEY_REUSED',
        'This idempotency key was used with a different payload',
      );
    }
    if (begin.kind === 'in-flight') {
      throw new GatewayError('IDEMPOTENCY_KEY_IN_USE', 'A request with this idempotency key is in progress', {
        retryAfter: 1,
      });
    }
    if (begin.kind === 'replay') return { kind: 'replay', response: begin.response };
    return { kind: 'claimed', key, hash, reusedId: begin.processId };
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    ctx.metrics.redisErrors.inc({ operation: 'idempotency' });
    request.log.warn({ err: (err as Error).message }, 'idempotency store unavailable; relying on the server');
    return { kind: 'server-only', key, hash };
  }
}

/** The stored answer of the key's first request, marked as a replay. */
export function sendReplay(
  request: FastifyRequest,
  reply: FastifyReply,
  response: StoredResponse,
): FastifyReply {
  if (request.auditInfo) request.auditInfo.processId = (response.body as { processId?: string }).processId;
  return reply
    .code(response.status)
    .headers(response.headers)
    .header('idempotent-replayed', 'true')
    .send(response.body);
}

/** Gives the key up (nothing was published): a resend starts afresh. */
export async function releaseClaim(ctx: GatewayContext, tenantId: string, claim: KeyClaim): Promise<void> {
  if (claim.kind === 'claimed') await ctx.idempotency.release(tenantId, claim.key).catch(() => undefined);
}

/** The broker may hold the message although its confirm was lost: the resend keeps the id. */
export async function reopenClaim(
  ctx: GatewayContext,
  tenantId: string,
  claim: KeyClaim,
  processId: string,
): Promise<void> {
  if (claim.kind === 'claimed')
    await ctx.idempotency.reopen(tenantId, claim.key, claim.hash, processId).catch(() => undefined);
}
