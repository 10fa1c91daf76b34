/**
 * Submit, step 3: the process id. One is reserved from the server's id blocks (or an earlier
 * attempt's is reused); then, for a key Redis claimed afresh (or lost) and a key without Redis,
 * the server names the process the key belongs to.
 */
import { createCircuitBreaker, type RpcReply } from '@stargate/contracts';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../auth/principal.js';
import type { GatewayContext } from '../../http/context.js';
import { GatewayError } from '../../http/errors.js';
import { ProcessIdsUnavailableError } from '../../idempotency/process-id-allocator.js';
import { amqpHeaders } from '../amqp-headers.js';
import { type KeyClaim, releaseClaim } from './key-claim.js';

/** How long a keyed submission waits for the server's idempotency-key lookup. */
const LOOKUP_DEADLINE_MS = 1000;

export interface BoundId {
  processId: string;
  /** The server holds the process already, so the request is not published again. */
  recorded: boolean;
}

/** The earlier attempt's id, or a fresh one; 503 (and the key released) when no id block can be had. */
export async function reserveProcessId(
  ctx: GatewayContext,
  request: FastifyRequest,
  tenantId: string,
  claim: KeyClaim,
): Promise<string> {
  if (claim.kind === 'claimed' && claim.reusedId !== undefined) return claim.reusedId;
  try {
    return await ctx.processIds.next();
  } catch (err) {
    await releaseClaim(ctx, tenantId, claim);
    if (!(err instanceof ProcessIdsUnavailableError)) throw err;
    request.log.warn({ err: String(err.cause) }, 'no process id block; refusing the submit');
    throw new GatewayError('SERVICE_UNAVAILABLE', 'No process id could be reserved; retry later', {
      retryAfter: 5,
    });
  }
}

/**
 * The id the server has bound this key to (a resend's first attempt), or ours. Without Redis
 * the server binds it; with `lookupOnly` (Redis claimed the key: new, or its record expired
 * or was lost) it names the key's recorded process. Either way a key the server knows with
 * another payload is refused (422), so a lost Redis record never turns a reused key into a
 * second request. If the server cannot answer, ours (its unique index still refuses a
 * duplicate key, failing the new process with DUPLICATE_IDEMPOTENCY_KEY). `recorded`: the
 * server holds the process already, so the request is not published again (a second copy
 * would run a still-running process twice).
 */
export function createKeyBinder(ctx: GatewayContext) {
  // While lookups fail (no server answering, its store down), keyed submissions go on at once
  // instead of each waiting out the deadline; one trial lookup after the cool-down.
  const lookupBreaker = createCircuitBreaker({ now: Date.now });

  async function boundId(
    request: FastifyRequest,
    principal: Principal,
    key: { idempotencyKey: string; payloadHash: string; lookupOnly: boolean },
    processId: string,
  ): Promise<BoundId> {
    const ours = { processId, recorded: false };
    if (key.lookupOnly && !lookupBreaker.allowRequest()) return ours;
    let reply: RpcReply;
    try {
      reply = await ctx.rpc.call(
        {
          kind: 'bind-idempotency-key',
          tenantId: principal.tenant.id,
          idempotencyKey: key.idempotencyKey,
          processId,
          payloadHash: key.payloadHash,
          ...(key.lookupOnly ? { lookupOnly: true } : {}),
        },
        amqpHeaders(request, principal),
        request.otelContext,
        // A lookup is a safeguard the submit can do without: while the private side is slow or
        // its store is down, it must not hold every keyed submission for the full RPC deadline.
        key.lookupOnly ? { deadlineMs: LOOKUP_DEADLINE_MS } : {},
      );
    } catch (err) {
      if (key.lookupOnly) lookupBreaker.failure();
      request.log.warn({ err: (err as Error).message }, 'idempotency key not checked by the server');
      return ours;
    }
    const answered = reply.ok || reply.error.code === 'IDEMPOTENCY_KEY_REUSED';
    if (key.lookupOnly && answered) lookupBreaker.success();
    else if (key.lookupOnly) lookupBreaker.failure();
    if (reply.ok && reply.kind === 'bind-idempotency-key')
      return { processId: reply.processId, recorded: reply.recorded === true };
    if (!reply.ok && reply.error.code === 'IDEMPOTENCY_KEY_REUSED')
      throw new GatewayError(
        'IDEMPOTENCY_KEY_REUSED',
        'This idempotency key was used with a different payload',
      );
    request.log.warn({ reply }, 'idempotency key not checked by the server');
    return ours;
  }

  /**
   * Asks the server only where Redis cannot answer for the key: a claim made afresh (the key
   * is new to Redis, or its record was lost) or no Redis at all. The key is released if the
   * server refuses it.
   */
  return async function bindKey(
    request: FastifyRequest,
    principal: Principal,
    claim: KeyClaim,
    processId: string,
  ): Promise<BoundId> {
    if (claim.kind !== 'server-only' && !(claim.kind === 'claimed' && claim.reusedId === undefined))
      return { processId, recorded: false };
    try {
      return await boundId(
        request,
        principal,
        { idempotencyKey: claim.key, payloadHash: claim.hash, lookupOnly: claim.kind === 'claimed' },
        processId,
      );
    } catch (err) {
      await releaseClaim(ctx, principal.tenant.id, claim);
      throw err;
    }
  };
}

export type KeyBinder = ReturnType<typeof createKeyBinder>;
