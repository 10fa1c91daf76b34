import {
  declareQueue,
  exchangesOf,
  gatewayQueues,
  type QueueMismatch,
  type TopologyOptions,
} from '@stargate/contracts';
import type { Channel } from 'amqplib';

export type { QueueMismatch };

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
  for (const q of gatewayQueues(options)) await declareQueue(ch, q, open, onMismatch);
}
