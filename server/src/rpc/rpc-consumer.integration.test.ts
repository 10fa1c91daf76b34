import { QUEUES } from '@stargate/contracts';
import { createVhost, eventually, type Vhost } from '@stargate/testkit';
import amqp, { type ChannelModel } from 'amqplib';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Publisher } from '../broker/publisher.js';
import type { ProcessStore } from '../store/process-store.js';
import type { IdempotencyKeyBindings } from './idempotency-key-bindings.js';
import type { ProcessIdBlocks } from './process-id-blocks.js';
import { consumeRpc } from './rpc-consumer.js';

/**
 * A worker's channel can close while it answers a query (broker restart, connection loss,
 * shutdown). The query must go back to the queue and be answered by whoever consumes next,
 * and the worker must not die of the failed acknowledgement (an unhandled rejection ends a
 * Node process).
 */
describe('RPC consumer when its channel closes mid-answer', () => {
  let vhost: Vhost;
  let conn: ChannelModel;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    vhost = await createVhost('rpc-close');
    conn = await amqp.connect(vhost.url);
    const setup = await conn.createChannel();
    await setup.assertQueue(QUEUES.rpc, { durable: true });
    await setup.close();
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await conn?.close().catch(() => undefined);
    await vhost?.close();
  });

  // Malformed queries are answered without the store, id blocks or key bindings.
  const unused = {} as ProcessStore & ProcessIdBlocks & IdempotencyKeyBindings;

  it('does not throw when the ack finds its channel closed, and the query is answered again', async () => {
    const first = await conn.createChannel();
    first.on('error', () => undefined);
    let closeFirst: () => void = () => undefined;
    const firstReplied = new Promise<void>((resolve) => {
      closeFirst = resolve;
    });
    // The first worker's reply completes only after its channel has been closed.
    const slowPublisher = {
      async reply() {
        await first.close();
        closeFirst();
      },
    } as unknown as Publisher;
    await consumeRpc(first, {
      store: unused,
      processIds: unused,
      keyBindings: unused,
      publisher: slowPublisher,
      logger: pino({ level: 'silent' }),
    });

    const client = await conn.createChannel();
    const { queue: replyTo } = await client.assertQueue('', { exclusive: true });
    client.sendToQueue(QUEUES.rpc, Buffer.from('not json'), { replyTo, correlationId: 'q1' });
    await firstReplied;

    // A second worker gets the same query back from the queue and answers it.
    const second = await conn.createChannel();
    const answers: { correlationId: string; body: unknown }[] = [];
    const publisher = {
      async reply(_to: string, correlationId: string, body: unknown) {
        answers.push({ correlationId, body });
      },
    } as unknown as Publisher;
    await consumeRpc(second, {
      store: unused,
      processIds: unused,
      keyBindings: unused,
      publisher,
      logger: pino({ level: 'silent' }),
    });
    await eventually(() => answers.length === 1);
    expect(answers[0]).toMatchObject({
      correlationId: 'q1',
      body: { ok: false, error: { code: 'INVALID_REQUEST' } },
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(unhandled).toEqual([]);
    await second.close();
    await client.close();
  });
});
