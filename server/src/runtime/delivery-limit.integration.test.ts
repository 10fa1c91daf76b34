/**
 * Issue #16, Medium 6: requeues that are no handler failure (shutdowns, lost channels, store
 * outages) must not turn a valid request into a permanent DELIVERY_LIMIT_EXCEEDED failure.
 * The server counts the runs that really failed on the process record; the broker's own
 * delivery limit is only a high backstop.
 */
import { brokerDeliveryLimit, DEFAULT_DELIVERY_LIMIT, processQueue } from '@stargate/contracts';
import { eventually } from '@stargate/testkit';
import * as amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDER_REQUEST_SCHEMA, ORDER_RESULT_SCHEMA } from '../handlers/schemas.js';
import { type RunningServer, startServer } from '../server.js';
import type { ProcessDoc } from '../store/process-store.js';
import { type GatewayDouble, gatewayDouble, quietLogger } from '../testing/gateway-double.js';

const order = (extra: Record<string, unknown> = {}) => ({
  orderId: 'PO-DL',
  customerId: 'C-DL',
  items: [{ sku: 'SKU-DL', quantity: 1, unitPrice: 2 }],
  ...extra,
});

describe('delivery limit: only real handler failures count', () => {
  let gw: GatewayDouble;
  let server: RunningServer | undefined;
  const start = async () => {
    server = await startServer({
      amqpUrl: gw.vhost.url,
      mongoUrl: gw.mongoUrl,
      dbName: gw.dbName,
      processTypes: ['order'],
      serverConfig: {
        processTypes: [
          {
            name: 'order',
            handler: { builtin: 'order' },
            concurrency: 2,
            timeoutSeconds: 10,
            retry: { maxAttempts: 3, initialBackoffSeconds: 0.05, maxBackoffSeconds: 0.1 },
            requestSchema: ORDER_REQUEST_SCHEMA,
            resultSchema: ORDER_RESULT_SCHEMA,
          },
        ],
      },
      logger: quietLogger,
    });
  };

  beforeAll(async () => {
    gw = await gatewayDouble(['order']);
  });
  afterAll(async () => {
    await server?.close();
    await gw?.close();
  });

  it('completes a request that went back to the queue more than five times without reaching a handler', async () => {
    expect(brokerDeliveryLimit()).toBeGreaterThanOrEqual(50);
    const id = await gw.submit('order', order());
    // Plays workers whose channel closes before they settle the delivery, eight times over.
    const conn = await amqp.connect(gw.vhost.url);
    const deliveries: unknown[] = [];
    try {
      const ch = await conn.createChannel();
      while (deliveries.length < 8) {
        const msg = await eventually(async () => (await ch.get(processQueue('order'))) || undefined, 10_000);
        deliveries.push(msg.properties.headers?.['x-delivery-count'] ?? 0);
        ch.nack(msg, false, true);
      }
    } finally {
      await conn.close();
    }
    expect(deliveries).toHaveLength(8);
    await start();
    const doc = await gw.waitFor(id, 'completed');
    expect(doc.result).toMatchObject({ orderId: 'PO-DL', status: 'confirmed' });
    expect(doc.failedRuns).toBeUndefined();
  });

  it('still fails a handler that fails every time, after the configured attempts, with its own error code', async () => {
    if (!server) await start();
    const id = await gw.submit('order', order({ simulate: { failTimes: 100 } }));
    const doc = await gw.waitFor(id, 'failed');
    expect(doc.attempts).toBe(3);
    expect(doc.error).toMatchObject({ code: 'TEMPORARY_FAILURE', retryable: true });
  });

  /** A record whose last run ended without an outcome: its worker died holding the lease. */
  async function abandoned(failedRuns: number): Promise<string> {
    const id = `abandoned-${failedRuns}-${Date.now()}`;
    const now = new Date();
    await gw.db.collection<ProcessDoc>('processes').insertOne({
      processId: id,
      tenantId: 'acme',
      idemKey: `acme:${id}`,
      clientId: 'acme-client',
      processType: 'order',
      status: 'processing',
      version: 1,
      payloadHash: 'hash',
      data: order(),
      attempts: 1,
      lease: { owner: 'worker:gone:1#1', expiresAt: new Date(now.getTime() - 1_000) },
      ...(failedRuns > 0 ? { failedRuns } : {}),
      submittedAt: now.toISOString(),
      createdAt: now,
      updatedAt: now,
      history: [],
    });
    await gw.submit('order', order(), { processId: id });
    return id;
  }

  it('counts a run that ended without an outcome, and runs the process again', async () => {
    if (!server) await start();
    const doc = await gw.waitFor(await abandoned(0), 'completed');
    expect(doc.failedRuns).toBe(1);
    expect(doc.lease).toBeUndefined();
  });

  it('fails the process with DELIVERY_LIMIT_EXCEEDED when the failed runs reach the limit, without running it again', async () => {
    if (!server) await start();
    const id = await abandoned(DEFAULT_DELIVERY_LIMIT - 1);
    const doc = await gw.waitFor(id, 'failed');
    expect(doc.error).toMatchObject({ code: 'DELIVERY_LIMIT_EXCEEDED', retryable: false });
    expect(doc.failedRuns).toBe(DEFAULT_DELIVERY_LIMIT);
    expect(doc.result).toBeUndefined();
    expect((await gw.events(id)).map((e) => e.status)).toEqual(['failed']);
    await eventually(() => gw.states.some((s) => s.processId === id && s.status === 'failed'));
  });
});
