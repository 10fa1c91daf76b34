import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import type { Disposition } from './runner-context.js';

/** One queue this worker consumes, and what it does with each delivery. */
export interface Consumer {
  queue: string;
  channel: Channel;
  onMessage(msg: ConsumeMessage): Promise<Disposition>;
  tag?: string;
}

/** The consumers of the current connection, which pause (MongoDB down, shutdown) and resume together. */
export interface ConsumerSet {
  /** The consumers of a new connection (the old channels died with the old one). */
  replace(next: Consumer[]): void;
  /** Starts every consumer not running. */
  resume(): Promise<void>;
  /** Cancels every running consumer; unacknowledged deliveries stay with their handlers. */
  pause(): Promise<void>;
  /** The connection is gone: its consumers with it. */
  forget(): void;
}

export function createConsumerSet(logger: Logger): ConsumerSet {
  let consumers: Consumer[] = [];

  async function consume(c: Consumer): Promise<void> {
    const reply = await c.channel.consume(c.queue, (msg) => {
      if (!msg) return;
      c.onMessage(msg).then(
        (d) => {
          try {
            if (d === 'ack') c.channel.ack(msg);
            else c.channel.nack(msg, false, d === 'requeue');
          } catch (err) {
            // The channel died with the connection; RabbitMQ redelivers the message.
            logger.warn({ err: (err as Error).message }, 'could not settle a delivery');
          }
        },
        (err: Error) => logger.error({ err }, 'consumer failed'),
      );
    });
    c.tag = reply.consumerTag;
  }

  return {
    replace(next) {
      consumers = next;
    },
    async resume() {
      for (const c of consumers) if (!c.tag) await consume(c);
    },
    async pause() {
      await Promise.all(
        consumers.map(async (c) => {
          const tag = c.tag;
          c.tag = undefined;
          if (tag) await c.channel.cancel(tag).catch(() => undefined);
        }),
      );
    },
    forget() {
      for (const c of consumers) c.tag = undefined;
    },
  };
}
