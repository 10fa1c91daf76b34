import {
  exchangesOf,
  type ProcessQueueSettings,
  processTypeQueues,
  type QueueDeclaration,
  SERVER_DEAD_LETTER_QUEUE,
  serverQueues,
  type TopologyOptions,
} from '@stargate/contracts';
import type { Channel } from 'amqplib';

export { SERVER_DEAD_LETTER_QUEUE };

/** A process type's work queue as this worker declares it. */
export interface ProcessQueueSpec {
  name: string;
  queue?: ProcessQueueSettings;
}

/** Where a queue exists with other arguments (declared by an older version): used as it is. */
export type QueueMismatch = (queue: string, err: Error) => void;

/**
 * Declares what the server uses, idempotently and with exactly the arguments of the table in
 * contracts/ (the gateway declares the same exchanges; a mismatch would be a channel error).
 */
export async function declareTopology(
  ch: Channel,
  processTypes: readonly (string | ProcessQueueSpec)[],
  /** A fresh channel per queue, so that an argument mismatch (which closes it) is survivable. */
  open?: () => Promise<Channel>,
  onMismatch?: QueueMismatch,
  options: TopologyOptions = {},
): Promise<void> {
  for (const { name, type } of exchangesOf('server')) await ch.assertExchange(name, type, { durable: true });

  const assertOwn = async (q: QueueDeclaration) => {
    if (!open) {
      await ch.assertQueue(q.name, { durable: true, arguments: q.arguments });
    } else {
      const own = await open();
      // The failed assertion closes this channel with an error event; it is answered below.
      own.on('error', () => undefined);
      try {
        await own.assertQueue(q.name, { durable: true, arguments: q.arguments });
        await own.close();
      } catch (err) {
        // 406 PRECONDITION_FAILED: the queue exists with other arguments (an older version, or
        // another group size). RabbitMQ cannot change them in place; the queue keeps working
        // as it is until an operator replaces it.
        if ((err as { code?: number }).code !== 406) throw err;
        onMismatch?.(q.name, err as Error);
        await ch.checkQueue(q.name);
      }
    }
    for (const b of q.bindings) await ch.bindQueue(q.name, b.exchange, b.routingKey);
  };

  for (const q of serverQueues(options)) await assertOwn(q);
  for (const spec of processTypes) {
    const { name: type, queue: settings } =
      typeof spec === 'string' ? { name: spec, queue: undefined } : spec;
    for (const q of processTypeQueues(type, settings, options)) await assertOwn(q);
  }
}
