import { randomUUID } from 'node:crypto';
import { QUEUES, type RpcReply, type RpcRequest } from '@stargate/contracts';
import type { Context } from '@opentelemetry/api';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { BrokerUnavailableError, RpcTimeoutError } from '../http/errors.js';
import type { Logger } from '../observability/logger.js';
import { startProducerSpan } from '../observability/tracing.js';
import type { Broker } from './broker.js';

const REPLY_TO = 'amq.rabbitmq.reply-to';

interface Pending {
  resolve(reply: RpcReply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  /** The channel the query went out on (its reply comes back on it). */
  ch: Channel;
}

/** A query channel replaced after a timeout is kept at least this long (see renewAfterTimeout). */
export const RPC_CHANNEL_RENEW_MIN_MS = 2000;

/**
 * Request/reply to the server over QUEUES.rpc with RabbitMQ's direct reply-to: no reply queue
 * to declare or clean up; a reply that arrives after the deadline is simply dropped.
 */
export function createRpcClient(deps: { broker: Broker; logger: Logger; deadlineMs?: number }) {
  const defaultDeadlineMs = deps.deadlineMs ?? 3000;
  const pending = new Map<string, Pending>();
  let channel: Channel | undefined;

  let conn: ChannelModel | undefined;
  let openedAt = 0;
  let renewing: Promise<void> | undefined;

  async function openChannel(c: ChannelModel): Promise<Channel> {
    const ch = await c.createChannel();
    ch.on('error', (err: Error) => deps.logger.warn({ err }, 'AMQP rpc channel error'));
    ch.on('close', () => {
      if (channel === ch) channel = undefined;
      for (const [id, p] of pending) {
        if (p.ch !== ch) continue;
        clearTimeout(p.timer);
        p.reject(new BrokerUnavailableError('RabbitMQ connection lost'));
        pending.delete(id);
      }
    });
    ch.on('return', (msg: { properties: { correlationId?: string } }) => {
      const id = msg.properties.correlationId;
      const p = id ? pending.get(id) : undefined;
      if (p && id) {
        clearTimeout(p.timer);
        pending.delete(id);
        p.reject(new BrokerUnavailableError('the server is not serving queries'));
      }
    });
    await ch.consume(
      REPLY_TO,
      (msg: ConsumeMessage | null) => {
        if (!msg) return;
        const id = msg.properties.correlationId as string | undefined;
        const p = id ? pending.get(id) : undefined;
        if (!p || !id) return;
        clearTimeout(p.timer);
        pending.delete(id);
        try {
          p.resolve(JSON.parse(msg.content.toString('utf8')) as RpcReply);
        } catch (err) {
          p.reject(err as Error);
        }
      },
      { noAck: true },
    );
    return ch;
  }

  /**
   * A fresh query channel after a query on `stale` timed out. Queries are sent without confirms,
   * so RabbitMQ 3.10's per-channel quorum queue client, when it stays pointed at a killed leader
   * (see broker.ts, renewAfterNack), drops them silently: every query on that channel would time
   * out until the node is back. A timeout may also be a slow server: the channel is replaced at
   * most every RPC_CHANNEL_RENEW_MIN_MS, and the stale one is closed once the queries sent on it
   * had their deadline.
   */
  function renewAfterTimeout(stale: Channel): void {
    const c = conn;
    if (renewing || channel !== stale || !c || Date.now() - openedAt < RPC_CHANNEL_RENEW_MIN_MS) return;
    renewing = openChannel(c)
      .then((ch) => {
        if (conn !== c || channel !== stale) {
          void ch.close().catch(() => undefined);
          return;
        }
        channel = ch;
        openedAt = Date.now();
        deps.logger.warn(
          { event: 'broker.rpc-channel-renewed' },
          'a query timed out; querying on a fresh channel',
        );
        setTimeout(() => stale.close().catch(() => undefined), defaultDeadlineMs + 1000).unref();
      })
      .catch((err: Error) => deps.logger.warn({ err: err.message }, 'could not open a fresh query channel'))
      .finally(() => {
        renewing = undefined;
      });
  }

  deps.broker.onConnected(async (c) => {
    const ch = await openChannel(c);
    conn = c;
    channel = ch;
    openedAt = Date.now();
  });

  return {
    /**
     * `traceContext`: the trace the query belongs to; its PRODUCER span lasts until the answer.
     * `opts.deadlineMs`: a shorter deadline for a query the caller can do without.
     */
    call(
      request: RpcRequest,
      headers: Record<string, unknown> = {},
      traceContext?: Context,
      opts: { deadlineMs?: number } = {},
    ): Promise<RpcReply> {
      const deadlineMs = opts.deadlineMs ?? defaultDeadlineMs;
      const ch = channel;
      if (!ch) return Promise.reject(new BrokerUnavailableError('RabbitMQ is not connected'));
      const correlationId = randomUUID();
      const span = startProducerSpan(traceContext, QUEUES.rpc, QUEUES.rpc, headers, {
        'stargate.rpc.kind': request.kind,
      });
      return new Promise<RpcReply>((resolveCall, rejectCall) => {
        const resolve = (reply: RpcReply) => {
          span.end();
          resolveCall(reply);
        };
        const reject = (err: Error) => {
          span.end(err);
          rejectCall(err);
        };
        const timer = setTimeout(() => {
          pending.delete(correlationId);
          renewAfterTimeout(ch);
          reject(new RpcTimeoutError(`no answer from the server within ${deadlineMs} ms`));
        }, deadlineMs);
        pending.set(correlationId, { resolve, reject, timer, ch });
        try {
          ch.sendToQueue(QUEUES.rpc, Buffer.from(JSON.stringify(request)), {
            correlationId,
            replyTo: REPLY_TO,
            contentType: 'application/json',
            expiration: String(deadlineMs),
            mandatory: true,
            headers: span.headers,
          });
        } catch (err) {
          clearTimeout(timer);
          pending.delete(correlationId);
          reject(new BrokerUnavailableError((err as Error).message));
        }
      });
    },
    close() {
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new BrokerUnavailableError('gateway closing'));
      }
      pending.clear();
    },
  };
}

export type RpcClient = ReturnType<typeof createRpcClient>;
