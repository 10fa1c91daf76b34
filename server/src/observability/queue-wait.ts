import type { ConsumeMessage } from 'amqplib';
import type { ServerMetrics } from './metrics.js';

/**
 * How long a request waited in its work queue: the gateway stamps the AMQP `timestamp`
 * property (seconds) at publish. Only first deliveries count; a redelivery's wait includes
 * earlier attempts.
 */
export function observeQueueWait(
  metrics: ServerMetrics,
  type: string,
  msg: ConsumeMessage,
  now = Date.now(),
): void {
  const sent = msg.properties.timestamp as number | undefined;
  if (msg.fields.redelivered || typeof sent !== 'number' || sent <= 0) return;
  metrics.queueWait.observe({ type }, Math.max(0, now / 1000 - sent));
}
