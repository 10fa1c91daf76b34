/**
 * Overload: a type's work queue is bounded. When it is full RabbitMQ refuses (nacks) further
 * requests instead of queueing them, the queue never holds more than its maximum, and every
 * request it did accept (confirmed) ends in exactly one terminal state.
 */
import { randomUUID } from 'node:crypto';
import {
  cloudEvent,
  EXCHANGES,
  MESSAGE_TYPES,
  type ProcessRequestedData,
  processQueue,
  type ServerConfig,
} from '@stargate/contracts';
import { eventually } from '@stargate/testkit';
import * as amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDER_REQUEST_SCHEMA, ORDER_RESULT_SCHEMA } from '../handlers/schemas.js';
import { type RunningServer, startServer } from '../server.js';
import { type GatewayDouble, gatewayDouble, quietLogger } from '../testing/gateway-double.js';

const MAX = 20;
const IN_FLIGHT = 8;

const serverConfig: ServerConfig = {
  processTypes: [
    {
      name: 'order',
      handler: { builtin: 'order' },
      concurrency: 2,
      timeoutSeconds: 10,
      retry: { maxAttempts: 1, initialBackoffSeconds: 1, maxBackoffSeconds: 1 },
      queue: { maxLength: MAX },
      requestSchema: ORDER_REQUEST_SCHEMA,
      resultSchema: ORDER_RESULT_SCHEMA,
    },
  ],
};

describe('overload: a bounded work queue refuses what it cannot hold', () => {
  let gw: GatewayDouble;
  let server: RunningServer;
  let conn: amqp.ChannelModel;

  beforeAll(async () => {
    // The double declares nothing for `order`: the server declares its queue with the bound.
    gw = await gatewayDouble([]);
    server = await startServer({
      amqpUrl: gw.vhost.url,
      mongoUrl: gw.mongoUrl,
      dbName: gw.dbName,
      processTypes: ['order'],
      serverConfig,
      logger: quietLogger,
    });
    conn = await amqp.connect(gw.vhost.url);
  });
  afterAll(async () => {
    await conn?.close().catch(() => undefined);
    await server?.close();
    await gw?.close();
  });

  it('nacks requests beyond the maximum, never holds more, and completes every accepted one exactly once', async () => {
    const ch = await conn.createConfirmChannel();
    const publish = (processId: string) => {
      const req: ProcessRequestedData = {
        processId,
        tenantId: 'acme',
        clientId: 'acme-client',
        processType: 'order',
        payloadHash: 'h',
        data: {
          orderId: processId,
          customerId: 'C-O',
          items: [{ sku: 'SKU-O', quantity: 1, unitPrice: 1 }],
          simulate: { delayMs: 20 },
        },
        submittedAt: new Date().toISOString(),
        attempt: 1,
      };
      const event = cloudEvent(
        { id: processId, source: 'test', type: MESSAGE_TYPES.processRequested, tenantId: 'acme' },
        req,
      );
      return new Promise<boolean>((resolve) =>
        ch.publish(
          EXCHANGES.requests,
          'order',
          Buffer.from(JSON.stringify(event)),
          { persistent: true },
          (err) => resolve(!err),
        ),
      );
    };
    let maxDepth = 0;
    let sampling = true;
    const sampler = (async () => {
      const probe = await conn.createChannel();
      while (sampling) {
        maxDepth = Math.max(maxDepth, (await probe.checkQueue(processQueue('order'))).messageCount);
        await new Promise((r) => setTimeout(r, 5));
      }
      await probe.close();
    })();
    const ids = Array.from({ length: 300 }, () => randomUUID());
    // Eight publishes in flight at a time, like a few busy gateway requests.
    const confirmed: boolean[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < ids.length) {
          const i = next++;
          confirmed[i] = await publish(ids[i] ?? '');
        }
      }),
    );
    sampling = false;
    await sampler;
    const accepted = ids.filter((_, i) => confirmed[i]);
    const refused = ids.filter((_, i) => !confirmed[i]);
    expect(refused.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThanOrEqual(MAX);
    // A quorum queue tells publishing channels it is full asynchronously: it may overshoot its
    // maximum by the publishes in flight at that moment, never more.
    expect(maxDepth).toBeLessThanOrEqual(MAX + IN_FLIGHT);

    const processes = gw.db.collection('processes');
    await eventually(
      async () =>
        (await processes.countDocuments({ status: { $in: ['completed', 'failed', 'cancelled'] } })) ===
        accepted.length,
      120_000,
    );
    const docs = await processes.find({}, { projection: { processId: 1, status: 1, history: 1 } }).toArray();
    expect(docs.map((d) => d.processId).sort()).toEqual([...accepted].sort());
    for (const d of docs) {
      expect(d.status).toBe('completed');
      expect((d.history as { status: string }[]).filter((e) => e.status === 'completed')).toHaveLength(1);
    }
  });
});
