import { brokerUrls, quorumInitialGroupSize } from '@stargate/contracts';
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

/** A publish channel replaced after a nack is kept at least this long (see renewAfterNack). */
export const CHANNEL_RENEW_MIN_MS = 500;

export function createBroker(deps: {
  /** One AMQP URL, or the nodes of a RabbitMQ cluster separated by commas. */
  url: string;
  logger: Logger;
  metrics: Metrics;
  confirmTimeoutMs?: number;
  /** `x-quorum-initial-group-size` of the gateway's queue; default: 3 for several URLs. */
  quorumInitialGroupSize?: number;
}): Broker {
  const confirmTimeoutMs = deps.confirmTimeoutMs ?? 5000;
  const urls = brokerUrls(deps.url);
  const topology = {
    quorumInitialGroupSize: quorumInitialGroupSize(urls.length, deps.quorumInitialGroupSize),
  };
  // The node to try first: after a loss, the one after the node that went away.
  let next = 0;
  const listeners: ConnectionListener[] = [];
  // Publishes waiting for a channel (the connection is being re-established).
  const waiting = new Set<() => void>();
  let conn: ChannelModel | undefined;
  let channel: ConfirmChannel | undefined;
  let closing = false;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let attempt = 0;
  // Messages the broker returned as unroutable; their confirm arrives after the return.
  const returned = new Set<string>();
  let channelOpenedAt = 0;
  // The publish channel being replaced after a nack (one replacement at a time).
  let renewing: Promise<ConfirmChannel | undefined> | undefined;

  function watchPublishChannel(ch: ConfirmChannel): void {
    ch.on('return', (msg: Message) => {
      if (typeof msg.properties.messageId === 'string') returned.add(msg.properties.messageId);
    });
    ch.on('error', (err: Error) => deps.logger.warn({ err }, 'AMQP publish channel error'));
    ch.on('close', () => {
      if (channel === ch) channel = undefined;
    });
  }

  /**
   * A fresh publish channel after `stale` was nacked, on the same connection. RabbitMQ 3.10 keeps
   * a quorum queue client per channel and queue, set up at the channel's first publish to that
   * queue from the leader the queue's record names then; if that node is dead (killed, leadership
   * not yet moved) the client nacks every later publish on the channel to that queue until the
   * dead node is back (rabbit_fifo_client: `badrpc nodedown` → `reject_publish`, state kept).
   * A new channel sets its client up afresh. Replaced at most every CHANNEL_RENEW_MIN_MS, so a
   * full queue (`reject-publish`) does not churn channels; the stale one is closed once its
   * outstanding confirms had time to arrive. Undefined when there is no fresh channel by `deadline`.
   */
  function renewAfterNack(stale: ConfirmChannel, deadline: number): Promise<ConfirmChannel | undefined> {
    if (channel !== stale) return Promise.resolve(channel);
    if (renewing) return renewing;
    const c = conn;
    if (!c) return Promise.resolve(undefined);
    const wait = channelOpenedAt + CHANNEL_RENEW_MIN_MS - Date.now();
    if (Date.now() + Math.max(0, wait) >= deadline) return Promise.resolve(undefined);
    renewing = (async () => {
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (channel !== stale || conn !== c) return channel;
      const ch = await c.createConfirmChannel();
      watchPublishChannel(ch);
      channel = ch;
      channelOpenedAt = Date.now();
      deps.metrics.publishChannelRenewals.inc();
      deps.logger.warn(
        { event: 'broker.channel-renewed' },
        'RabbitMQ refused a publish; publishing on a fresh channel',
      );
      setTimeout(() => stale.close().catch(() => undefined), confirmTimeoutMs).unref();
      return ch;
    })()
      .catch((err: Error) => {
        deps.logger.warn({ err: err.message }, 'could not open a fresh publish channel');
        return undefined;
      })
      .finally(() => {
        renewing = undefined;
      });
    return renewing;
  }

  /** Tries every node once, starting with `next`; the first that answers wins. */
  async function open(): Promise<void> {
    let lastError: unknown;
    for (let k = 0; k < urls.length; k++) {
      const i = (next + k) % urls.length;
      try {
        await openOne(urls[i] as string, i);
        next = i;
        return;
      } catch (err) {
        lastError = err;
        if (urls.length > 1)
          deps.logger.warn(
            { err: (err as Error).message, node: i + 1 },
            'RabbitMQ node not reachable; trying the next',
          );
      }
    }
    throw lastError;
  }

  async function openOne(url: string, index: number): Promise<void> {
    // noDelay: an RPC query followed by a publish must not wait for Nagle's algorithm (40 ms
    // delayed ACKs); the keyed submit's idempotency lookup measured 55 → 13 ms median with it.
    const c = await connect(url, { timeout: 5000, noDelay: true });
    try {
      const ch = await c.createConfirmChannel();
      await declareGatewayTopology(
        ch,
        topology,
        () => c.createChannel(),
        (queue, err) =>
          deps.logger.warn(
            { queue, err: err.message },
            'queue exists with other arguments; using it as it is — delete it while it is empty to apply the new ones',
          ),
      );
      watchPublishChannel(ch);
      c.on('error', (err: Error) => deps.logger.warn({ err }, 'AMQP connection error'));
      c.on('close', () => {
        if (conn !== c) return;
        conn = undefined;
        channel = undefined;
        // Another node first: this one may be the one that went away.
        next = (index + 1) % urls.length;
        if (!closing) {
          deps.logger.warn({ event: 'broker.disconnected' }, 'RabbitMQ connection lost; reconnecting');
          scheduleReconnect();
        }
      });
      conn = c;
      channel = ch;
      channelOpenedAt = Date.now();
      attempt = 0;
      // Publishes waiting for a channel go on now, not after the listeners: a consumer of a
      // quorum queue whose leader is being re-elected may take a while to start.
      for (const wake of waiting) wake();
      for (const listener of listeners) await listener(c);
      deps.logger.info({ event: 'broker.connected', node: index + 1 }, 'RabbitMQ connected');
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

  /** The publish channel once there is one again, or undefined after `ms`. */
  function channelWithin(ms: number): Promise<ConfirmChannel | undefined> {
    if (channel || ms <= 0 || closing) return Promise.resolve(channel);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        waiting.delete(wake);
        resolve(channel);
      };
      const timer = setTimeout(wake, ms);
      waiting.add(wake);
    });
  }

  /**
   * One send: 'confirmed'; 'lost' when the channel closed before the broker answered; 'nacked'
   * when the broker refused it (e.g. a full queue); throws when the broker returned it (no queue
   * bound) or did not answer by the deadline (e.g. a quorum queue without a majority).
   */
  function publishOnce(
    ch: ConfirmChannel,
    exchange: string,
    routingKey: string,
    content: Buffer,
    publishOptions: Options.Publish,
    deadline: number,
  ): Promise<'confirmed' | 'lost' | 'nacked'> {
    const messageId = publishOptions.messageId as string;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (outcome: 'confirmed' | 'lost' | 'nacked' | Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const wasReturned = returned.delete(messageId);
        if (outcome === 'confirmed' && wasReturned)
          reject(new BrokerUnavailableError(`no queue bound for ${exchange}/${routingKey}`));
        else if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const timer = setTimeout(
        () => finish(new BrokerUnavailableError('broker confirm timed out')),
        Math.max(0, deadline - Date.now()),
      );
      try {
        ch.publish(exchange, routingKey, content, publishOptions, (err: unknown) => {
          if (!err) finish('confirmed');
          else if (String((err as Error).message ?? err).includes('nacked')) finish('nacked');
          else finish('lost');
        });
      } catch {
        // The channel closed between the check and the send.
        finish('lost');
      }
    });
  }

  return {
    start: open,
    isConnected: () => channel !== undefined,
    onConnected(listener) {
      listeners.push(listener);
    },
    publish(exchange, routingKey, body, options) {
      const deadline = Date.now() + confirmTimeoutMs;
      const end = deps.metrics.publishDuration.startTimer({ exchange });
      const span = startProducerSpan(options.traceContext, exchange, routingKey, options.headers, {
        'messaging.message.id': options.messageId,
      });
      const content = Buffer.from(JSON.stringify(body));
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
      const send = async (): Promise<void> => {
        let nacks = 0;
        for (let sends = 1; ; sends++) {
          const ch = channel ?? (await channelWithin(deadline - Date.now()));
          if (!ch) throw new BrokerUnavailableError('RabbitMQ is not connected');
          const outcome = await publishOnce(ch, exchange, routingKey, content, publishOptions, deadline);
          if (outcome === 'confirmed') return;
          if (outcome === 'nacked') {
            // Not enqueued. Sent once more on a fresh channel (see renewAfterNack); a second
            // refusal is the broker's answer (e.g. the queue is full).
            const fresh = nacks++ === 0 ? await renewAfterNack(ch, deadline) : undefined;
            if (!fresh || fresh === ch) throw new BrokerUnavailableError('broker refused the message (nack)');
            continue;
          }
          // The connection went away before the broker confirmed: the message may or may not be
          // in the queue. Sent again (same message id) on the next connection, usually to another
          // node. A duplicate is harmless: the server records a process once by its id, and a
          // keyed submission's key names that id.
          if (Date.now() >= deadline)
            throw new BrokerUnavailableError('RabbitMQ connection lost before the broker confirmed');
          deps.logger.warn(
            { event: 'broker.resend', messageId: options.messageId, sends },
            'RabbitMQ connection lost before the confirm; sending again on the next connection',
          );
          deps.metrics.publishResends.inc({ exchange });
        }
      };
      return send().then(
        () => {
          end({ result: 'confirmed' });
          span.end();
        },
        (err: Error) => {
          end({ result: 'failed' });
          span.end(err);
          throw err instanceof BrokerUnavailableError
            ? err
            : new BrokerUnavailableError(err.message, { cause: err });
        },
      );
    },
    async close() {
      closing = true;
      clearTimeout(reconnectTimer);
      for (const wake of waiting) wake();
      const c = conn;
      conn = undefined;
      channel = undefined;
      await c?.close().catch(() => undefined);
    },
  };
}
