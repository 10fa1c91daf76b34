import {
  DEFAULT_DELIVERY_LIMIT,
  EXCHANGES,
  type ProcessQueueSettings,
  processQueue,
  processQueueArguments,
  QUEUES,
  QUORUM_QUEUE_ARGUMENTS,
  retryQueue,
  retryQueueArguments,
} from '@stargate/contracts';
import type { Channel } from 'amqplib';

/** A process type's work queue as this worker declares it. */
export interface ProcessQueueSpec {
  name: string;
  queue?: ProcessQueueSettings;
}

/** Where a work queue exists with other arguments (declared by an older version): used as it is. */
export type QueueMismatch = (queue: string, err: Error) => void;

/** The server's own copy of every dead letter, to mark the process failed (QUEUES.dead stays for operators). */
export const SERVER_DEAD_LETTER_QUEUE = 'stargate.server.dead-letters';

/**
 * Declares what the server uses, idempotently and with exactly the arguments from contracts/
 * (the gateway declares the same exchanges; a mismatch would be a channel error).
 */
export async function declareTopology(
  ch: Channel,
  processTypes: readonly (string | ProcessQueueSpec)[],
  /** A fresh channel per work queue, so that an argument mismatch (which closes it) is survivable. */
  open?: () => Promise<Channel>,
  onMismatch?: QueueMismatch,
): Promise<void> {
  await ch.assertExchange(EXCHANGES.requests, 'direct', { durable: true });
  await ch.assertExchange(EXCHANGES.events, 'topic', { durable: true });
  await ch.assertExchange(EXCHANGES.control, 'topic', { durable: true });
  await ch.assertExchange(EXCHANGES.audit, 'direct', { durable: true });
  await ch.assertExchange(EXCHANGES.dead, 'fanout', { durable: true });
  await ch.assertExchange(EXCHANGES.retry, 'direct', { durable: true });

  await ch.assertQueue(QUEUES.dead, { durable: true, arguments: QUORUM_QUEUE_ARGUMENTS });
  await ch.bindQueue(QUEUES.dead, EXCHANGES.dead, '');
  // Bounded too: a dead letter this server cannot record still has its copy in QUEUES.dead.
  await ch.assertQueue(SERVER_DEAD_LETTER_QUEUE, {
    durable: true,
    arguments: { ...QUORUM_QUEUE_ARGUMENTS, 'x-delivery-limit': DEFAULT_DELIVERY_LIMIT },
  });
  await ch.bindQueue(SERVER_DEAD_LETTER_QUEUE, EXCHANGES.dead, '');

  await ch.assertQueue(QUEUES.control, { durable: true, arguments: QUORUM_QUEUE_ARGUMENTS });
  await ch.bindQueue(QUEUES.control, EXCHANGES.control, 'cancel.*');
  await ch.bindQueue(QUEUES.control, EXCHANGES.control, 'retry.*');

  await ch.assertQueue(QUEUES.rpc, { durable: true, arguments: QUORUM_QUEUE_ARGUMENTS });
  await ch.assertQueue(QUEUES.audit, { durable: true, arguments: QUORUM_QUEUE_ARGUMENTS });
  // The audit exchange is direct; the gateway publishes with routing key = the queue name.
  await ch.bindQueue(QUEUES.audit, EXCHANGES.audit, QUEUES.audit);
  await ch.bindQueue(QUEUES.audit, EXCHANGES.audit, '');

  const assertOwn = async (queue: string, args: Record<string, unknown>) => {
    if (!open) {
      await ch.assertQueue(queue, { durable: true, arguments: args });
      return;
    }
    const own = await open();
    // The failed assertion closes this channel with an error event; it is answered below.
    own.on('error', () => undefined);
    try {
      await own.assertQueue(queue, { durable: true, arguments: args });
      await own.close();
    } catch (err) {
      // 406 PRECONDITION_FAILED: the queue exists with other arguments. RabbitMQ cannot change
      // them in place; the queue keeps working as it is until an operator replaces it.
      if ((err as { code?: number }).code !== 406) throw err;
      onMismatch?.(queue, err as Error);
      await ch.checkQueue(queue);
    }
  };
  for (const spec of processTypes) {
    const { name: type, queue: settings } =
      typeof spec === 'string' ? { name: spec, queue: undefined } : spec;
    await assertOwn(processQueue(type), processQueueArguments(settings));
    await ch.bindQueue(processQueue(type), EXCHANGES.requests, type);
    await assertOwn(retryQueue(type), retryQueueArguments(type));
    await ch.bindQueue(retryQueue(type), EXCHANGES.retry, type);
  }
}
