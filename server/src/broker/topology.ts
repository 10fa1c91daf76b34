import {
  DEFAULT_DELIVERY_LIMIT,
  EXCHANGES,
  processQueue,
  processQueueArguments,
  QUEUES,
  QUORUM_QUEUE_ARGUMENTS,
  retryQueue,
  retryQueueArguments,
} from '@stargate/contracts';
import type { Channel } from 'amqplib';

/** The server's own copy of every dead letter, to mark the process failed (QUEUES.dead stays for operators). */
export const SERVER_DEAD_LETTER_QUEUE = 'stargate.server.dead-letters';

/**
 * Declares what the server uses, idempotently and with exactly the arguments from contracts/
 * (the gateway declares the same exchanges; a mismatch would be a channel error).
 */
export async function declareTopology(ch: Channel, processTypes: readonly string[]): Promise<void> {
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

  for (const type of processTypes) {
    await ch.assertQueue(processQueue(type), { durable: true, arguments: processQueueArguments() });
    await ch.bindQueue(processQueue(type), EXCHANGES.requests, type);
    await ch.assertQueue(retryQueue(type), { durable: true, arguments: retryQueueArguments(type) });
    await ch.bindQueue(retryQueue(type), EXCHANGES.retry, type);
  }
}
