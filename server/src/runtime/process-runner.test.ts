import { EXCHANGES, processQueue, QUEUES, type ServerConfig } from '@stargate/contracts';
import { eventually } from '@stargate/testkit';
import * as amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDER_REQUEST_SCHEMA, ORDER_RESULT_SCHEMA } from '../handlers/schemas.js';
import { type RunningServer, startServer } from '../server.js';
import { type GatewayDouble, gatewayDouble, quietLogger } from '../testing/gateway-double.js';

const orderType = (name: string, over: Partial<ServerConfig['processTypes'][number]>) => ({
  name,
  handler: { builtin: 'order' },
  concurrency: 2,
  timeoutSeconds: 10,
  retry: { maxAttempts: 3, initialBackoffSeconds: 0.05, maxBackoffSeconds: 0.2 },
  requestSchema: ORDER_REQUEST_SCHEMA,
  resultSchema: ORDER_RESULT_SCHEMA,
  ...over,
});

const serverConfig: ServerConfig = {
  processTypes: [
    orderType('order', {}),
    orderType('timeboxed', {
      timeoutSeconds: 0.3,
      retry: { maxAttempts: 1, initialBackoffSeconds: 1, maxBackoffSeconds: 1 },
    }),
    orderType('serial', { concurrency: 1 }),
  ],
};

const order = (extra: Record<string, unknown> = {}) => ({
  orderId: 'PO-7',
  customerId: 'C-1',
  items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 3 }],
  ...extra,
});

describe('process runtime: retries, timeouts, cancel, poison messages', () => {
  let gw: GatewayDouble;
  let server: RunningServer;

  beforeAll(async () => {
    gw = await gatewayDouble(['order', 'timeboxed', 'serial', 'orphan']);
    server = await startServer({
      amqpUrl: gw.vhost.url,
      mongoUrl: gw.mongoUrl,
      dbName: gw.dbName,
      processTypes: ['order', 'timeboxed', 'serial'],
      serverConfig,
      logger: quietLogger,
    });
  });
  afterAll(async () => {
    await server?.close();
    await gw?.close();
  });

  it('retries a retryable failure with backoff and then completes', async () => {
    const id = await gw.submit('order', order({ simulate: { failTimes: 2 } }));
    const doc = await gw.waitFor(id, 'completed');
    expect(doc.attempts).toBe(3);
    expect(doc.error).toBeUndefined();
    const events = await gw.events(id);
    expect(events.filter((e) => e.note === 'retry scheduled').map((e) => e.error?.code)).toEqual([
      'TEMPORARY_FAILURE',
      'TEMPORARY_FAILURE',
    ]);
    expect(events.filter((e) => e.status === 'completed')).toHaveLength(1);
    const versions = events.map((e) => e.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });

  it('fails as retryable TIMEOUT when the handler overruns the processing timeout', async () => {
    const id = await gw.submit('timeboxed', order({ simulate: { delayMs: 5_000 } }));
    const doc = await gw.waitFor(id, 'failed');
    expect(doc.error).toMatchObject({ code: 'TIMEOUT', retryable: true });
  });

  it('a manual retry of a retryable failure runs it again', async () => {
    const id = await gw.submit('timeboxed', order({ simulate: { delayMs: 5_000 } }));
    await gw.waitFor(id, 'failed');
    await gw.command('retry', id);
    await eventually(async () => (await gw.process(id))?.attempts === 2);
    const doc = await gw.waitFor(id, 'failed');
    expect(doc.attempts).toBe(2);
  });

  it('cancels a running process and a queued one, which never starts', async () => {
    const running = await gw.submit('serial', order({ simulate: { delayMs: 10_000 } }));
    await eventually(async () => (await gw.process(running))?.status === 'processing');
    const queued = await gw.submit('serial', order());
    await gw.command('cancel', queued);
    await eventually(async () => (await gw.process(queued))?.cancelRequested === true);
    await gw.command('cancel', running);
    await gw.waitFor(running, 'cancelled');
    const doc = await gw.waitFor(queued, 'cancelled');
    expect(doc.processType).toBe('serial');
    expect((await gw.events(queued)).map((e) => e.status)).toEqual(['cancelled']);
    await eventually(() => gw.states.some((s) => s.processId === queued && s.status === 'cancelled'));
    expect(gw.states.filter((s) => s.processId === queued).map((s) => s.status)).toEqual(['cancelled']);
  });

  it('dead-letters a poison request after the delivery limit and marks the process failed', async () => {
    // Plays a worker that dies on this request every time it gets it.
    const id = await gw.submit('orphan', order());
    const conn = await amqp.connect(gw.vhost.url);
    try {
      const ch = await conn.createChannel();
      const deliveries: unknown[] = [];
      await eventually(async () => {
        const msg = await ch.get(processQueue('orphan'));
        if (!msg) return deliveries.length > 0;
        deliveries.push(msg.properties.headers?.['x-delivery-count']);
        ch.nack(msg, false, true);
        return false;
      });
      expect(deliveries.length).toBeGreaterThan(1);
    } finally {
      await conn.close();
    }
    const doc = await gw.waitFor(id, 'failed');
    expect(doc.error).toMatchObject({ code: 'DELIVERY_LIMIT_EXCEEDED', retryable: false });
    await eventually(async () => (await gw.vhost.queueDepth(QUEUES.dead)) >= 1);
    await eventually(() => gw.states.some((s) => s.processId === id && s.status === 'failed'));
  });

  it('dead-letters an unreadable request instead of dropping it', async () => {
    const before = await gw.vhost.queueDepth(QUEUES.dead);
    await gw.publishRaw('order', Buffer.from('not json'));
    await eventually(async () => (await gw.vhost.queueDepth(QUEUES.dead)) > before);
    expect(EXCHANGES.dead).toBe('stargate.dead');
  });
});
