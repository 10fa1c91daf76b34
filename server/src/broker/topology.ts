import {
  declareQueue,
  exchangesOf,
  type ProcessQueueSettings,
  processTypeQueues,
  type QueueDeclaration,
  type QueueMismatch,
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

export type { QueueMismatch };

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

  const assertOwn = (q: QueueDeclaration) => declareQueue(ch, q, open, onMismatch);

  for (const q of serverQueues(options)) await assertOwn(q);
  for (const spec of processTypes) {
    const { name: type, queue: settings } =
      typeof spec === 'string' ? { name: spec, queue: undefined } : spec;
    for (const q of processTypeQueues(type, settings, options)) await assertOwn(q);
  }
}
