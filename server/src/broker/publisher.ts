import {
  AMQP_HEADERS,
  cloudEvent,
  EXCHANGES,
  eventRoutingKey,
  MESSAGE_TYPES,
  type ProcessRequestedData,
  type ProcessStateData,
} from '@stargate/contracts';
import type { ConfirmChannel } from 'amqplib';
import { activeTraceHeaders } from '../observability/tracing.js';

export const EVENT_SOURCE = 'stargate-server';

export class BrokerUnavailableError extends Error {
  constructor(message = 'RabbitMQ is not connected') {
    super(message);
    this.name = 'BrokerUnavailableError';
  }
}

export interface TraceHeaders {
  correlationId?: string;
  traceparent?: string;
  tracestate?: string;
}

/** Every publish waits for the broker's confirm; the caller acks its input only afterwards. */
export interface Publisher {
  state(state: ProcessStateData, trace: TraceHeaders): Promise<void>;
  /** Delayed redelivery: waits `delayMs` in the type's retry queue, then returns to its work queue. */
  retry(request: ProcessRequestedData, delayMs: number, trace: TraceHeaders): Promise<void>;
  /** Immediate (manual retry). */
  request(request: ProcessRequestedData, trace: TraceHeaders): Promise<void>;
  reply(replyTo: string, correlationId: string, body: unknown): Promise<void>;
}

function headers(tenantId: string, given: TraceHeaders, extra: Record<string, unknown> = {}) {
  // With tracing on, the message names the span active when it is sent (handler or consumer).
  const active = activeTraceHeaders();
  const trace: TraceHeaders = active
    ? { ...(given.correlationId ? { correlationId: given.correlationId } : {}), ...active }
    : given;
  return {
    [AMQP_HEADERS.tenantId]: tenantId,
    ...(trace.correlationId ? { [AMQP_HEADERS.correlationId]: trace.correlationId } : {}),
    ...(trace.traceparent ? { [AMQP_HEADERS.traceparent]: trace.traceparent } : {}),
    ...(trace.tracestate ? { [AMQP_HEADERS.tracestate]: trace.tracestate } : {}),
    ...extra,
  };
}

function sendOnce(
  ch: ConfirmChannel,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Parameters<ConfirmChannel['publish']>[3],
): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      ch.publish(exchange, routingKey, content, options, (err) =>
        err ? reject(err instanceof Error ? err : new BrokerUnavailableError(String(err))) : resolve(),
      );
    } catch (err) {
      reject(err);
    }
  });
}

/** amqplib rejects a nacked publish with "message nacked". */
function isNack(err: unknown): boolean {
  return /nacked/.test(String((err as Error)?.message ?? err));
}

/**
 * A fresh publish channel to replace `stale` after a nack, or undefined. RabbitMQ 3.10 keeps a
 * quorum queue client per channel and queue that may stay pointed at a dead leader and nack
 * every publish to that queue until the node is back (see gateway/src/broker/broker.ts,
 * renewAfterNack); a new channel sets it up afresh.
 */
export type RenewChannel = (stale: ConfirmChannel) => Promise<ConfirmChannel | undefined>;

export function createPublisher(channel: () => ConfirmChannel | undefined, renew?: RenewChannel): Publisher {
  /** Sent once more on a fresh channel when nacked; a second nack is the broker's answer. */
  const confirmed = async (
    first: ConfirmChannel,
    exchange: string,
    routingKey: string,
    body: unknown,
    options: Parameters<ConfirmChannel['publish']>[3],
  ): Promise<void> => {
    const content = Buffer.from(JSON.stringify(body));
    try {
      await sendOnce(first, exchange, routingKey, content, options);
    } catch (err) {
      if (!renew || !isNack(err)) throw err;
      const fresh = await renew(first);
      if (!fresh || fresh === first) throw err;
      await sendOnce(fresh, exchange, routingKey, content, options);
    }
  };
  const ch = () => {
    const c = channel();
    if (!c) throw new BrokerUnavailableError();
    return c;
  };
  const requestMessage = (request: ProcessRequestedData, trace: TraceHeaders) => {
    const event = cloudEvent(
      {
        id: `${request.processId}:${request.attempt}`,
        source: EVENT_SOURCE,
        type: MESSAGE_TYPES.processRequested,
        tenantId: request.tenantId,
        subject: request.processId,
        ...(trace.correlationId ? { correlationId: trace.correlationId } : {}),
      },
      request,
    );
    return {
      event,
      options: {
        persistent: true,
        contentType: 'application/json',
        messageId: event.id,
        type: event.type,
        headers: headers(request.tenantId, trace, {
          [AMQP_HEADERS.processType]: request.processType,
          [AMQP_HEADERS.attempt]: request.attempt,
        }),
      },
    };
  };
  return {
    async state(state, trace) {
      const event = cloudEvent(
        {
          id: `${state.processId}:${state.version}`,
          source: EVENT_SOURCE,
          type: MESSAGE_TYPES.processState,
          tenantId: state.tenantId,
          subject: state.processId,
          ...(trace.correlationId ? { correlationId: trace.correlationId } : {}),
        },
        state,
      );
      await confirmed(
        ch(),
        EXCHANGES.events,
        eventRoutingKey(state.tenantId, state.processType, state.status),
        event,
        {
          persistent: true,
          contentType: 'application/json',
          messageId: event.id,
          type: event.type,
          timestamp: Math.floor(Date.now() / 1000),
          headers: headers(state.tenantId, trace),
        },
      );
    },
    async retry(request, delayMs, trace) {
      const { event, options } = requestMessage(request, trace);
      await confirmed(ch(), EXCHANGES.retry, request.processType, event, {
        ...options,
        expiration: String(Math.max(0, Math.round(delayMs))),
      });
    },
    async request(request, trace) {
      const { event, options } = requestMessage(request, trace);
      await confirmed(ch(), EXCHANGES.requests, request.processType, event, options);
    },
    async reply(replyTo, correlationId, body) {
      await confirmed(ch(), '', replyTo, body, { correlationId, contentType: 'application/json' });
    },
  };
}
