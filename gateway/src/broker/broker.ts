import type { Context } from '@opentelemetry/api';
import { connect, type ChannelModel, type ConfirmChannel, type Message, type Options } from 'amqplib';
import { BrokerUnavailableError } from '../http/errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { startProducerSpan } from '../observability/tracing.js';
import { declareGatewayTopology } from './topology.js';

export interface PublishOptions {
  messageId: string;
  type: string;
  headers: Record<string, unknown>;
  correlationId?: string;
  /** Refuse (BrokerUnavailableError) when no queue is bound for the routing key. */
  mandatory?: boolean;
  /** The trace the message belongs to: a PRODUCER span under it names itself in the headers. */
  traceContext?: Context;
}

/** Runs on every (re)connection, e.g. to start consumers on the new connection. */
export type ConnectionListener = (conn: ChannelModel) => Promise<void>;

export interface Broker {
  /** Connects once (throws if the broker is unreachable); reconnects by itself afterwards. */
  start(): Promise<void>;
  isConnected(): boolean;
  /** Resolves only once the broker confirmed the message; throws BrokerUnavailableError otherwise. */
  publish(exchange: string, routingKey: string, body: unknown, options: PublishOptions): Promise<void>;
  onConnected(listener: ConnectionListener): void;
  close(): Promise<void>;
}

export function createBroker(deps: {
  url: string;
  logger: Logger;
  metrics: Metrics;
  confirmTimeoutMs?: number;
}): Broker {
  const confirmTimeoutMs = deps.confirmTimeoutMs ?? 5000;
  const listeners: ConnectionListener[] = [];
  let conn: ChannelModel | undefined;
  let channel: ConfirmChannel | undefined;
  let closing = false;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let attempt = 0;
  // Messages the broker returned as unroutable; their confirm arrives after the return.
  const returned = new Set<string>();

  async function open(): Promise<void> {
    // noDelay: an RPC query followed by a publish must not wait for Nagle's algorithm (40 ms
    // delayed ACKs); the keyed submit's idempotency lookup measured 55 → 13 ms median with it.
    const c = await connect(deps.url, { timeout: 5000, noDelay: true });
    try {
      const ch = await c.createConfirmChannel();
      await declareGatewayTopology(ch);
      ch.on('return', (msg: Message) => {
        if (typeof msg.properties.messageId === 'string') returned.add(msg.properties.messageId);
      });
      ch.on('error', (err: Error) => deps.logger.warn({ err }, 'AMQP publish channel error'));
      ch.on('close', () => {
        if (channel === ch) channel = undefined;
      });
      c.on('error', (err: Error) => deps.logger.warn({ err }, 'AMQP connection error'));
      c.on('close', () => {
        if (conn !== c) return;
        conn = undefined;
        channel = undefined;
        if (!closing) {
          deps.logger.warn({ event: 'broker.disconnected' }, 'RabbitMQ connection lost; reconnecting');
          scheduleReconnect();
        }
      });
      conn = c;
      channel = ch;
      attempt = 0;
      for (const listener of listeners) await listener(c);
      deps.logger.info({ event: 'broker.connected' }, 'RabbitMQ connected');
    } catch (err) {
      await c.close().catch(() => undefined);
      throw err;
    }
  }

  function scheduleReconnect(): void {
    if (closing || reconnectTimer) return;
    const delay = Math.min(5000, 100 * 2 ** attempt++);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      open().catch((err) => {
        deps.logger.warn({ err: (err as Error).message, attempt }, 'RabbitMQ reconnect failed');
        scheduleReconnect();
      });
    }, delay);
  }

  return {
    start: open,
    isConnected: () => channel !== undefined,
    onConnected(listener) {
      listeners.push(listener);
    },
    publish(exchange, routingKey, body, options) {
      const ch = channel;
      if (!ch) return Promise.reject(new BrokerUnavailableError('RabbitMQ is not connected'));
      const end = deps.metrics.publishDuration.startTimer({ exchange });
      const span = startProducerSpan(options.traceContext, exchange, routingKey, options.headers, {
        'messaging.message.id': options.messageId,
      });
      const publishOptions: Options.Publish = {
        persistent: true,
        contentType: 'application/json',
        messageId: options.messageId,
        type: options.type,
        timestamp: Math.floor(Date.now() / 1000),
        headers: span.headers,
        mandatory: options.mandatory ?? false,
      };
      if (options.correlationId) publishOptions.correlationId = options.correlationId;
      return new Promise<void>((resolve, reject) => {
        let settled = false;
        const finish = (err?: Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const wasReturned = returned.delete(options.messageId);
          if (!err && wasReturned)
            err = new BrokerUnavailableError(`no queue bound for ${exchange}/${routingKey}`);
          end({ result: err ? 'failed' : 'confirmed' });
          span.end(err);
          if (err)
            reject(
              err instanceof BrokerUnavailableError
                ? err
                : new BrokerUnavailableError(err.message, { cause: err }),
            );
          else resolve();
        };
        const timer = setTimeout(
          () => finish(new BrokerUnavailableError('broker confirm timed out')),
          confirmTimeoutMs,
        );
        try {
          ch.publish(
            exchange,
            routingKey,
            Buffer.from(JSON.stringify(body)),
            publishOptions,
            (err: unknown) =>
              finish(
                err ? new BrokerUnavailableError(`broker refused the message: ${String(err)}`) : undefined,
              ),
          );
        } catch (err) {
          finish(err as Error);
        }
      });
    },
    async close() {
      closing = true;
      clearTimeout(reconnectTimer);
      const c = conn;
      conn = undefined;
      channel = undefined;
      await c?.close().catch(() => undefined);
    },
  };
}
