import type { QueueDeclaration } from './topology.js';

/** The part of an AMQP channel that declaring a queue uses (amqplib's `Channel` fits). */
export interface QueueDeclaringChannel {
  assertQueue(
    name: string,
    options: { durable: boolean; arguments: Record<string, unknown> },
  ): Promise<unknown>;
  checkQueue(name: string): Promise<unknown>;
  bindQueue(queue: string, exchange: string, routingKey: string): Promise<unknown>;
  close(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** Where a queue exists with other arguments (an older version, another group size): used as it is. */
export type QueueMismatch = (queue: string, err: Error) => void;

/**
 * Declares one queue of the table and its bindings, idempotently, for either zone. With `open`,
 * the assertion runs on a fresh channel, so that an argument mismatch (406 PRECONDITION_FAILED,
 * which closes that channel) is survivable: RabbitMQ cannot change arguments in place, so the
 * existing queue keeps working as it is until an operator replaces it, and `onMismatch` says so.
 */
export async function declareQueue<C extends QueueDeclaringChannel>(
  ch: C,
  q: QueueDeclaration,
  open?: () => Promise<C>,
  onMismatch?: QueueMismatch,
): Promise<void> {
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
      if ((err as { code?: number }).code !== 406) throw err;
      onMismatch?.(q.name, err as Error);
      await ch.checkQueue(q.name);
    }
  }
  for (const b of q.bindings) await ch.bindQueue(q.name, b.exchange, b.routingKey);
}
