import { QUEUES, type RpcReply } from '@stargate/contracts';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import type { Publisher } from '../broker/publisher.js';
import { inConsumerSpan } from '../observability/tracing.js';
import { parseJson } from '../runtime/request-message.js';
import type { ProcessStore } from '../store/process-store.js';
import type { IdempotencyKeyBindings } from './idempotency-key-bindings.js';
import type { ProcessIdBlocks } from './process-id-blocks.js';
import { answerRpc } from './rpc-handler.js';

export interface RpcConsumerDeps {
  store: ProcessStore;
  processIds: ProcessIdBlocks;
  keyBindings: IdempotencyKeyBindings;
  publisher: Publisher;
  logger: Logger;
}

/** Queries answered at once by each worker. */
const RPC_PREFETCH = 32;

/** The answer to one query message: never throws (a store failure is a retryable error reply). */
async function answerOf(deps: RpcConsumerDeps, msg: ConsumeMessage): Promise<RpcReply> {
  let query: unknown;
  try {
    query = parseJson(msg);
  } catch {
    return { ok: false, error: { code: 'INVALID_REQUEST', message: 'query is not JSON', retryable: false } };
  }
  try {
    return await inConsumerSpan(
      `query ${QUEUES.rpc}`,
      msg.properties.headers,
      { 'messaging.destination.name': QUEUES.rpc },
      () => answerRpc(deps.store, query, deps.processIds, deps.keyBindings),
    );
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message }, 'query failed');
    return {
      ok: false,
      error: { code: 'UNAVAILABLE', message: 'the record of truth is unavailable', retryable: true },
    };
  }
}

/**
 * Consumes the gateway's queries on `ch`. Queries are answered even while MongoDB is down (with
 * a retryable error), so this consumer never pauses; every query is acked once answered.
 */
export async function consumeRpc(ch: Channel, deps: RpcConsumerDeps): Promise<void> {
  await ch.prefetch(RPC_PREFETCH);
  await ch.consume(QUEUES.rpc, (msg) => {
    if (!msg) return;
    const { replyTo, correlationId } = msg.properties;
    // The channel may close while a query is answered (broker restart, shutdown): the query
    // then goes back to the queue by itself, so a failed ack is only logged, never thrown.
    const ack = () => {
      try {
        ch.ack(msg);
      } catch (err) {
        deps.logger.debug({ err: (err as Error).message }, 'query not acked: its channel closed');
      }
    };
    answerOf(deps, msg)
      .then((reply) => (replyTo ? deps.publisher.reply(replyTo, correlationId ?? '', reply) : undefined))
      .then(ack, (err: Error) => {
        deps.logger.warn({ err: err.message }, 'could not reply to a query');
        ack();
      });
  });
}
