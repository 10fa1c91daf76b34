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
 * Redis, newer versions only. While Redis fails the projector stops consuming and holds the
 * events it has (unacknowledged, retried in place every retryDelayMs): requeueing them would
 * spend the queue's delivery limit and dead-letter state events during an outage. The first
 * write that succeeds resumes consumption. A malformed event is dropped with a log line and a
 * metric.
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
  /** Per channel: its consumer tag while consuming, undefined while paused. */
  const consumers = new WeakMap<Channel, { tag: string | undefined }>();

  async function consume(ch: Channel): Promise<void> {
    const state = consumers.get(ch) ?? { tag: undefined };
    consumers.set(ch, state);
    const { consumerTag } = await ch.consume(QUEUES.gatewayEvents, (msg: ConsumeMessage | null) => {
      if (msg) void handle(ch, msg);
    });
    state.tag = consumerTag;
  }

  function pause(ch: Channel): void {
    const state = consumers.get(ch);
    if (!state?.tag) return;
    const tag = state.tag;
    state.tag = undefined;
    deps.logger.warn({ event: 'projector.paused' }, 'Redis unavailable: state event consumption paused');
    ch.cancel(tag).catch((err: Error) => deps.logger.warn({ err: err.message }, 'projector could not pause'));
  }

  function resume(ch: Channel): void {
    const state = consumers.get(ch);
    if (closed || !state || state.tag !== undefined || ch !== channel) return;
    state.tag = 'resuming';
    deps.logger.info({ event: 'projector.resumed' }, 'Redis back: state event consumption resumed');
    consume(ch).catch((err: Error) => {
      state.tag = undefined;
      deps.logger.warn({ err: err.message }, 'projector could not resume consuming');
    });
  }

  deps.broker.onConnected(async (conn) => {
    if (closed) return;
    const ch = await conn.createChannel();
    ch.on('error', (err: Error) => deps.logger.warn({ err }, 'AMQP projector channel error'));
    await ch.prefetch(deps.prefetch ?? 50);
    channel = ch;
    await consume(ch);
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
      ack(ch, msg);
      return;
    }
    await project(ch, msg, event.data);
  }

  /** A channel closed meanwhile has returned the event to the queue: nothing to ack, no error. */
  function ack(ch: Channel, msg: ConsumeMessage): void {
    try {
      ch.ack(msg);
    } catch (err) {
      deps.logger.debug({ err: (err as Error).message }, 'state event not acked: its channel closed');
    }
  }

  async function project(ch: Channel, msg: ConsumeMessage, data: ProcessStateData): Promise<void> {
    let written: boolean;
    try {
      written = await deps.store.writeIfNewer(data);
    } catch (err) {
      deps.metrics.redisErrors.inc({ operation: 'project' });
      deps.logger.warn(
        { err: (err as Error).message },
        'projector could not write to Redis; holding the event',
      );
      pause(ch);
      if (closed) return;
      const t = setTimeout(() => {
        delayed.delete(t);
        // A channel that is gone has returned its unacked events to the queue already.
        if (ch === channel && !closed) void project(ch, msg, data).catch(() => undefined);
      }, deps.retryDelayMs ?? 1000);
      delayed.add(t);
      return;
    }
    deps.metrics.projectedEvents.inc({ result: written ? 'applied' : 'stale' });
    if (written) {
      try {
        deps.onApplied?.(data);
      } catch (err) {
        deps.logger.warn({ err: (err as Error).message }, 'state change listener failed');
      }
    }
    ack(ch, msg);
    resume(ch);
  }

  return {
    async close(): Promise<void> {
      closed = true;
      for (const t of delayed) clearTimeout(t);
      await channel?.close().catch(() => undefined);
    },
  };
}
