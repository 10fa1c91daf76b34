import { exchangesOf, gatewayQueues, type TopologyOptions } from '@stargate/contracts';
import type { Channel } from 'amqplib';

/** Where a queue exists with other arguments (e.g. another group size): used as it is. */
export type QueueMismatch = (queue: string, err: Error) => void;

/**
 * What the gateway uses, from the table in contracts/: its exchanges (declared with the same
 * arguments as the server does) and its own projector queue. The server declares its own
 * queues.
 */
export async function declareGatewayTopology(
  ch: Channel,
  options: TopologyOptions = {},
  /** A fresh channel per queue, so that an argument mismatch (which closes it) is survivable. */
  open?: () => Promise<Channel>,
  onMismatch?: QueueMismatch,
): Promise<void> {
  for (const { name, type } of exchangesOf('gateway')) await ch.assertExchange(name, type, { durable: true });
  for (const q of gatewayQueues(options)) {
    if (open) {
      const own = await open();
      own.on('error', () => undefined);
      try {
        await own.assertQueue(q.name, { durable: true, arguments: q.arguments });
        await own.close();
      } catch (err) {
        if ((err as { code?: number }).code !== 406) throw err;
        onMismatch?.(q.name, err as Error);
        await ch.checkQueue(q.name);
      }
    } else {
      await ch.assertQueue(q.name, { durable: true, arguments: q.arguments });
    }
    for (const b of q.bindings) await ch.bindQueue(q.name, b.exchange, b.routingKey);
  }
}
