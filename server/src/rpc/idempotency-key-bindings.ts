import type { RpcReply } from '@stargate/contracts';
import { type Db, MongoServerError } from 'mongodb';
import { COLLECTIONS } from '../store/process-store.js';

/** (tenant, idempotency key) → process id, written only while a gateway cannot use Redis. */
export const IDEMPOTENCY_KEY_BINDINGS_COLLECTION = 'idempotency_key_bindings';

interface BindingDoc {
  _id: string;
  processId: string;
  /** Absent on bindings written before the payload was bound too. */
  payloadHash?: string;
  boundAt: Date;
}

/** The key belongs to a process (or binding) of another payload. */
export class IdempotencyKeyReusedError extends Error {
  constructor(readonly processId: string) {
    super('the idempotency key was used with a different payload');
    this.name = 'IdempotencyKeyReusedError';
  }
}

export interface BindOptions {
  /** The new request's payload hash: a key recorded with another one is refused. */
  payloadHash?: string;
  /** Look up the key's recorded process without binding (the gateway's Redis claimed the key). */
  lookupOnly?: boolean;
}

export interface Bound {
  processId: string;
  /** The process is recorded already: the request needs no publishing again. */
  recorded: boolean;
}

export interface IdempotencyKeyBindings {
  /**
   * The process id the key is bound to: `processId` if the key was free, the earlier one
   * otherwise; throws IdempotencyKeyReusedError when that one was for another payload.
   */
  bind(tenantId: string, idempotencyKey: string, processId: string, options?: BindOptions): Promise<Bound>;
}

/**
 * Keeps a keyed resend on the id of its first attempt when the gateway's idempotency records
 * (Redis) are unavailable, expired or lost, and binds the key to its payload on this side too:
 * the recorded process of the key (unique `idemKey`) answers first, with its payload hash; else
 * the first insert of `_id` = tenant:key wins (unique `_id` is the one guarantee FerretDB v1
 * gives under concurrency), and every later attempt reads the winner.
 */
export function createIdempotencyKeyBindings(db: Db): IdempotencyKeyBindings {
  const bindings = db.collection<BindingDoc>(IDEMPOTENCY_KEY_BINDINGS_COLLECTION);
  const processes = db.collection<{ idemKey: string; processId: string; payloadHash?: string }>(
    COLLECTIONS.processes,
  );
  const check = (found: { processId: string; payloadHash?: string }, payloadHash: string | undefined) => {
    if (payloadHash && found.payloadHash && found.payloadHash !== payloadHash)
      throw new IdempotencyKeyReusedError(found.processId);
    return found.processId;
  };
  return {
    async bind(tenantId, idempotencyKey, processId, options = {}) {
      const _id = `${tenantId}:${idempotencyKey}`;
      const recorded = await processes.findOne(
        { idemKey: _id },
        { projection: { _id: 0, processId: 1, payloadHash: 1 } },
      );
      if (recorded) return { processId: check(recorded, options.payloadHash), recorded: true };
      if (options.lookupOnly) {
        // A binding left by a Redis outage whose process is not recorded (yet).
        const bound = await bindings.findOne({ _id });
        return { processId: bound ? check(bound, options.payloadHash) : processId, recorded: false };
      }
      try {
        await bindings.insertOne({
          _id,
          processId,
          ...(options.payloadHash ? { payloadHash: options.payloadHash } : {}),
          boundAt: new Date(),
        });
        return { processId, recorded: false };
      } catch (err) {
        if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
        const existing = await bindings.findOne({ _id });
        if (!existing) throw err;
        return { processId: check(existing, options.payloadHash), recorded: false };
      }
    },
  };
}

export function isBindQuery(body: unknown): body is {
  kind: 'bind-idempotency-key';
  tenantId: unknown;
  idempotencyKey: unknown;
  processId: unknown;
  payloadHash?: unknown;
  lookupOnly?: unknown;
} {
  return (
    typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'bind-idempotency-key'
  );
}

export async function answerBind(
  bindings: IdempotencyKeyBindings,
  body: {
    tenantId: unknown;
    idempotencyKey: unknown;
    processId: unknown;
    payloadHash?: unknown;
    lookupOnly?: unknown;
  },
): Promise<RpcReply> {
  const { tenantId, idempotencyKey, processId, payloadHash, lookupOnly } = body;
  const ok = (v: unknown, max: number) => typeof v === 'string' && v.length > 0 && v.length <= max;
  if (
    !ok(tenantId, 63) ||
    !ok(idempotencyKey, 255) ||
    !ok(processId, 128) ||
    (payloadHash !== undefined && !ok(payloadHash, 128)) ||
    (lookupOnly !== undefined && typeof lookupOnly !== 'boolean')
  ) {
    return {
      ok: false,
      error: {
        code: 'INVALID_REQUEST',
        message:
          'tenantId, idempotencyKey and processId are required; payloadHash is a string, lookupOnly a boolean',
        retryable: false,
      },
    };
  }
  try {
    return {
      ok: true,
      kind: 'bind-idempotency-key',
      ...(await bindings.bind(tenantId as string, idempotencyKey as string, processId as string, {
        ...(payloadHash !== undefined ? { payloadHash: payloadHash as string } : {}),
        ...(lookupOnly === true ? { lookupOnly: true } : {}),
      })),
    };
  } catch (err) {
    if (!(err instanceof IdempotencyKeyReusedError)) throw err;
    return {
      ok: false,
      error: { code: 'IDEMPOTENCY_KEY_REUSED', message: err.message, retryable: false },
    };
  }
}
