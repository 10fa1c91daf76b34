import { AMQP_HEADERS, EXCHANGES, QUEUES } from '@stargate/contracts';
import { eventually } from '@stargate/testkit';
import * as amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../server.js';
import { type GatewayDouble, gatewayDouble, quietLogger } from '../testing/gateway-double.js';

const slowOrder = {
  orderId: 'PO-D',
  customerId: 'C-D',
  items: [{ sku: 'D', quantity: 1, unitPrice: 1 }],
  simulate: { delayMs: 2_000 },
};

describe('shutdown and audit', () => {
  let gw: GatewayDouble;
  beforeAll(async () => {
    gw = await gatewayDouble(['order']);
  });
  afterAll(() => gw?.close());

  const run = (graceSeconds: number) =>
    startServer({
      amqpUrl: gw.vhost.url,
      mongoUrl: gw.mongoUrl,
      dbName: gw.dbName,
      processTypes: ['order'],
      shutdownGraceSeconds: graceSeconds,
      logger: quietLogger,
    });

  it('requeues a handler still running when the grace period ends; the next worker finishes it', async () => {
    const first = await run(0.1);
    const id = await gw.submit('order', slowOrder);
    await eventually(async () => (await gw.process(id))?.status === 'processing');
    await first.close();
    expect((await gw.process(id))?.status).toBe('processing');

    const second = await run(30);
    try {
      await gw.waitFor(id, 'completed', 30_000);
      expect((await gw.events(id)).filter((e) => e.status === 'completed')).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it('stores gateway audit records once, even when redelivered', async () => {
    const server = await run(1);
    const conn = await amqp.connect(gw.vhost.url);
    try {
      const ch = await conn.createConfirmChannel();
      const record = {
        auditId: 'audit-1',
        time: new Date().toISOString(),
        tenantId: 'acme',
        action: 'process.submit',
        method: 'POST',
        route: '/api/stargate/processes',
        outcome: 'success',
        status: 202,
        correlationId: 'corr-audit-1',
      };
      const body = Buffer.from(
        JSON.stringify({ specversion: '1.0', type: 'io.stargate.audit', data: record }),
      );
      // An unreadable record first: it must not block the queue.
      ch.publish(EXCHANGES.audit, QUEUES.audit, Buffer.from('{oops'), { persistent: true });
      for (let i = 0; i < 2; i++) {
        ch.publish(EXCHANGES.audit, QUEUES.audit, body, {
          persistent: true,
          headers: { [AMQP_HEADERS.tenantId]: 'acme' },
        });
      }
      await ch.waitForConfirms();
      await eventually(
        async () =>
          (await gw.vhost.queueDepth(QUEUES.audit)) === 0 &&
          (await gw.db.collection('audit_log').countDocuments({ auditId: 'audit-1' })) === 1,
      );
      expect(await gw.db.collection('audit_log').findOne({ auditId: 'audit-1' })).toMatchObject({
        outcome: 'success',
        status: 202,
      });
    } finally {
      await conn.close();
      await server.close();
    }
  });
});
