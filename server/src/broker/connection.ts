import { EventEmitter } from 'node:events';
import { brokerUrls } from '@stargate/contracts';
import * as amqp from 'amqplib';
import type { ChannelModel } from 'amqplib';

export interface BrokerConnectionOptions {
  /** Runs on every (re)connection: channels, topology, consumers. A throw closes that connection. */
  setup(model: ChannelModel): Promise<void>;
  initialDelay?: number;
  maxDelay?: number;
  /** Rounds over every node before start() gives up (afterwards it retries forever). */
  initialMaxRetries?: number;
  /** Told each time a node does not answer (the next one is tried). */
  onNodeFailed?(node: number, err: Error): void;
}

/**
 * One RabbitMQ connection at a time, to the first node of a list that answers; re-established
 * with backoff when it closes, starting with the node after the one that went away. Events:
 * `connect` (node index), `disconnect` (error), `error`.
 */
export interface BrokerConnection extends EventEmitter {
  /** Index (from 0) of the node currently connected; undefined while there is none. */
  node(): number | undefined;
  close(): Promise<void>;
}

/** `urlList`: one AMQP URL, or the nodes of a RabbitMQ cluster separated by commas. */
export async function connectBroker(
  urlList: string,
  options: BrokerConnectionOptions,
): Promise<BrokerConnection> {
  const urls = brokerUrls(urlList);
  const initialDelay = options.initialDelay ?? 200;
  const maxDelay = options.maxDelay ?? 10_000;
  const events = new EventEmitter() as BrokerConnection;
  let model: ChannelModel | undefined;
  let current: number | undefined;
  let next = 0;
  let attempt = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  async function openOne(i: number): Promise<void> {
    // Small RPC replies and publishes must not wait for Nagle's algorithm (40 ms delayed ACKs).
    const m = await amqp.connect(urls[i] as string, { noDelay: true, timeout: 5000 });
    // Errors before `close` (e.g. the socket reset when a node dies) are reported, not thrown.
    m.on('error', (err: Error) => {
      if (events.listenerCount('error') > 0) events.emit('error', err);
    });
    try {
      await options.setup(m);
    } catch (err) {
      await m.close().catch(() => undefined);
      throw err;
    }
    if (stopped) {
      await m.close().catch(() => undefined);
      return;
    }
    model = m;
    current = i;
    next = i;
    attempt = 0;
    m.on('close', (err?: Error) => {
      if (model !== m) return;
      model = undefined;
      current = undefined;
      next = (i + 1) % urls.length;
      if (stopped) return;
      events.emit('disconnect', err ?? new Error('connection closed'));
      schedule();
    });
    events.emit('connect', i);
  }

  /** One round over every node, from `next`. */
  async function round(): Promise<void> {
    let last: unknown;
    for (let k = 0; k < urls.length; k++) {
      const i = (next + k) % urls.length;
      try {
        await openOne(i);
        return;
      } catch (err) {
        last = err;
        options.onNodeFailed?.(i, err as Error);
      }
    }
    throw last;
  }

  const delay = () => Math.min(maxDelay, initialDelay * 2 ** Math.min(attempt++, 16));

  function schedule(): void {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      round().catch(() => schedule());
    }, delay());
  }

  const maxRounds = options.initialMaxRetries ?? 5;
  for (let r = 0; ; r++) {
    try {
      await round();
      break;
    } catch (err) {
      if (r >= maxRounds) throw err;
      await new Promise((res) => setTimeout(res, delay()));
    }
  }

  events.node = () => current;
  events.close = async () => {
    stopped = true;
    clearTimeout(timer);
    const m = model;
    model = undefined;
    current = undefined;
    await m?.close().catch(() => undefined);
  };
  return events;
}
