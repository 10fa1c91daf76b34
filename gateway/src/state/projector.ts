import { type CloudEvent, isProcessStatus, type ProcessStateData, QUEUES } from '@stargate/contracts';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Broker } from '../broker/broker.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { StateStore } from './state-store.js';

function isStateEvent(value: unknown): value is CloudEvent<ProcessStateData> {
  if (typeof value !== 'object' || value === null) return false;
  const data = (value as { data?: unknown }).data as Partial<ProcessStateData> | undefined;
  return (
    typeof data === 'object' &&
    data !== null &&
    typeof data.processId === 'string' &&
    typeof data.tenantId === 'string' &&
    typeof data.version === 'number' &&
    isProcessStatus(data.status)
  );
}

/**
 * Consumes the server's state events (competing with the other gateways) and writes them to
 * Redis, newer versions only. A Redis failure requeues the event after a pause instead of
 * spinning on it; a malformed event is dropped with a log line and a metric.
 */
export function createProjector(deps: {
  broker: Broker;
  store: StateStore;
  logger: Logger;
  metrics: Metrics;
  /** Called with each state that was newer than the projection (metrics of results). */
  onApplied?: (state: ProcessStateData) => void;
  prefetch?: number;
  retryDelayMs?: number;
}) {
  let channel: Channel | undefined;
  let closed = false;
  const delayed = new Set<NodeJS.Timeout>();

  deps.broker.onConnected(async (conn) => {
    if (closed) return;
    const ch = await conn.createChannel();
    ch.on('error', (err: Error) => deps.logger.warn({ err }, 'AMQP projector channel error'));
    await ch.prefetch(deps.prefetch ?? 50);
    await ch.consume(QUEUES.gatewayEvents, (msg: ConsumeMessage | null) => {
      if (msg) void handle(ch, msg);
    });
    channel = ch;
  });

  async function handle(ch: Channel, msg: ConsumeMessage): Promise<void> {
    let event: unknown;
    try {
      event = JSON.parse(msg.content.toString('utf8'));
    } catch {
      event = undefined;
    }
    if (!isStateEvent(event)) {
      deps.metrics.projectedEvents.inc({ result: 'invalid' });
      deps.logger.error(
        { event: 'projector.invalid', messageId: msg.properties.messageId },
        'dropping malformed state event',
      );
      ch.ack(msg);
      return;
    }
    try {
      const written = await deps.store.writeIfNewer(event.data);
      deps.metrics.projectedEvents.inc({ result: written ? 'applied' : 'stale' });
      if (written) deps.onApplied?.(event.data);
      ch.ack(msg);
    } catch (err) {
      deps.metrics.redisErrors.inc({ operation: 'project' });
      deps.logger.warn({ err: (err as Error).message }, 'projector could not write to Redis; requeueing');
      const t = setTimeout(() => {
        delayed.delete(t);
        try {
          ch.nack(msg, false, true);
        } catch {
          // The channel is gone; the broker redelivers the unacked message anyway.
        }
      }, deps.retryDelayMs ?? 1000);
      delayed.add(t);
    }
  }

  return {
    async close(): Promise<void> {
      closed = true;
      for (const t of delayed) clearTimeout(t);
      await channel?.close().catch(() => undefined);
    },
  };
}
