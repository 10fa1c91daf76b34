import { isProcessStatus, type RpcReply, type RpcRequest } from '@stargate/contracts';
import { InvalidCursorError, type ProcessStore } from '../store/process-store.js';
import { answerBind, type IdempotencyKeyBindings, isBindQuery } from './idempotency-key-bindings.js';
import { answerReserve, isReserveQuery, type ProcessIdBlocks } from './process-id-blocks.js';

const MAX_PAGE = 100;

function invalid(message: string): RpcReply {
  return { ok: false, error: { code: 'INVALID_REQUEST', message, retryable: false } };
}

/** Answers a gateway query; the tenant is part of every MongoDB filter, never checked afterwards. */
export async function answerRpc(
  store: ProcessStore,
  body: unknown,
  processIds?: ProcessIdBlocks,
  keyBindings?: IdempotencyKeyBindings,
): Promise<RpcReply> {
  if (processIds && isReserveQuery(body)) return answerReserve(processIds, body);
  if (keyBindings && isBindQuery(body)) return answerBind(keyBindings, body);
  const req = body as Partial<
    Exclude<RpcRequest, { kind: 'reserve-process-ids' } | { kind: 'bind-idempotency-key' }>
  > | null;
  if (!req || typeof req !== 'object' || typeof req.tenantId !== 'string' || req.tenantId === '')
    return invalid('tenantId is required');
  if (req.kind === 'get-process') {
    if (typeof req.processId !== 'string') return invalid('processId is required');
    const doc = await store.getForTenant(req.tenantId, req.processId);
    // A placeholder left by an early cancel is not a process yet.
    return {
      ok: true,
      kind: 'get-process',
      process: doc && doc.processType !== '' ? store.toView(doc) : null,
    };
  }
  if (req.kind === 'list-processes') {
    if (req.status !== undefined && !isProcessStatus(req.status)) return invalid('unknown status');
    const limit = Number.isInteger(req.limit) ? Math.min(Math.max(req.limit as number, 1), MAX_PAGE) : 20;
    try {
      const page = await store.list({
        tenantId: req.tenantId,
        limit,
        ...(req.status ? { status: req.status } : {}),
        ...(typeof req.processType === 'string' ? { processType: req.processType } : {}),
        ...(typeof req.cursor === 'string' ? { cursor: req.cursor } : {}),
      });
      return { ok: true, kind: 'list-processes', page };
    } catch (err) {
      if (err instanceof InvalidCursorError) return invalid('invalid cursor');
      throw err;
    }
  }
  return invalid('unknown query kind');
}
