import { EXCHANGES, gatewayEventsQueueArguments, QUEUES } from '@stargate/contracts';
import type { Channel } from 'amqplib';

/**
 * What the gateway uses: the exchanges it publishes to (declared with the same arguments as
 * the server does) and its own projector queue, with its delivery limit and dead-letter
 * exchange explicit. The server declares its own queues.
 */
export async function declareGatewayTopology(ch: Channel): Promise<void> {
  await ch.assertExchange(EXCHANGES.requests, 'direct', { durable: true });
  await ch.assertExchange(EXCHANGES.events, 'topic', { durable: true });
  await ch.assertExchange(EXCHANGES.control, 'topic', { durable: true });
  await ch.assertExchange(EXCHANGES.audit, 'direct', { durable: true });
  await ch.assertExchange(EXCHANGES.dead, 'fanout', { durable: true });
  await ch.assertQueue(QUEUES.gatewayEvents, { durable: true, arguments: gatewayEventsQueueArguments() });
  await ch.bindQueue(QUEUES.gatewayEvents, EXCHANGES.events, '#');
}
