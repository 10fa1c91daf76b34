import type { RpcReply } from '@stargate/contracts';
import { type Db, MongoServerError } from 'mongodb';

/** (tenant, idempotency key) → process id, written only while a gateway cannot use Redis. */
export const IDEMPOTENCY_KEY_BINDINGS_COLLECTION = 'idempotency_key_bindings';

interface BindingDoc {
  _id: string;
  processId: string;
  boundAt: Date;
}

export interface IdempotencyKeyBindings {
  /** The process id the key is bound to: `processId` if the key was free, the earlier one otherwise. */
  bind(tenantId: string, idempotencyKey: string, processId: string): Promise<string>;
}

/**
 * Keeps a keyed resend on the id of its first attempt when the gateway's idempotency records
 * (Redis) are unavailable: the first insert of `_id` = tenant:key wins (unique `_id` is the one
 * guarantee FerretDB v1 gives under concurrency), and every later attempt reads the winner.
 */
export function createIdempotencyKeyBindings(db: Db): IdempotencyKeyBindings {
  const bindings = db.collection<BindingDoc>(IDEMPOTENCY_KEY_BINDINGS_COLLECTION);
  return {
    async bind(tenantId, idempotencyKey, processId) {
      const _id = `${tenantId}:${idempotencyKey}`;
      try {
        await bindings.insertOne({ _id, processId, boundAt: new Date() });
        return processId;
      } catch (err) {
        if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
        const existing = await bindings.findOne({ _id });
        if (!existing) throw err;
        return existing.processId;
      }
    },
  };
}

export function isBindQuery(
  body: unknown,
): body is { kind: 'bind-idempotency-key'; tenantId: unknown; idempotencyKey: unknown; processId: unknown } {
  return (
    typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'bind-idempotency-key'
  );
}

export async function answerBind(
  bindings: IdempotencyKeyBindings,
  body: { tenantId: unknown; idempotencyKey: unknown; processId: unknown },
): Promise<RpcReply> {
  const { tenantId, idempotencyKey, processId } = body;
  const ok = (v: unknown, max: number) => typeof v === 'string' && v.length > 0 && v.length <= max;
  if (!ok(tenantId, 63) || !ok(idempotencyKey, 255) || !ok(processId, 128)) {
    return {
      ok: false,
      error: {
        code: 'INVALID_REQUEST',
        message: 'tenantId, idempotencyKey and processId are required',
        retryable: false,
      },
    };
  }
  return {
    ok: true,
    kind: 'bind-idempotency-key',
    processId: await bindings.bind(tenantId as string, idempotencyKey as string, processId as string),
  };
}
