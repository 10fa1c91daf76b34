import { AMQP_HEADERS, EXCHANGES, MESSAGE_TYPES, QUEUES } from '@stargate/contracts';
import { eventually } from '@stargate/testkit';
import * as amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../server.js';
import { type GatewayDouble, gatewayDouble, quietLogger } from '../testing/gateway-double.js';

describe('batched gateway audit records', () => {
  let gw: GatewayDouble;
  beforeAll(async () => {
    gw = await gatewayDouble(['order']);
  });
  afterAll(() => gw?.close());

  it('stores every record of a batch once, in the order given, even when batches are redelivered', async () => {
    const server = await startServer({
      amqpUrl: gw.vhost.url,
      mongoUrl: gw.mongoUrl,
      dbName: gw.dbName,
      processTypes: ['order'],
      shutdownGraceSeconds: 1,
      logger: quietLogger,
    });
    const conn = await amqp.connect(gw.vhost.url);
    try {
      const ch = await conn.createConfirmChannel();
      // Three batches about one process, all made within the same millisecond: only the
      // order of the records (not their time) can tell the story.
      const time = new Date().toISOString();
      const actions = ['submit', 'status', 'cancel', 'status', 'retry', 'status'];
      const batches = [0, 1, 2].map((b) => ({
        records: Array.from({ length: 120 }, (_, i) => {
          const n = b * 120 + i;
          return {
            auditId: `batch-audit-${n}`,
            time,
            tenantId: 'acme',
            clientId: 'acme-client',
            action: actions[n % actions.length],
            method: 'POST',
            route: '/api/stargate/processes',
            processId: 'p-order',
            outcome: 'success',
            status: 202,
            correlationId: `req-${n}`,
          };
        }),
      }));
      const publish = (data: unknown) =>
        ch.publish(
          EXCHANGES.audit,
          QUEUES.audit,
          Buffer.from(JSON.stringify({ specversion: '1.0', type: MESSAGE_TYPES.auditBatch, data })),
          { persistent: true, headers: { [AMQP_HEADERS.tenantId]: 'acme' } },
        );
      for (const batch of batches) publish(batch);
      // The second batch again, as after a lost ack.
      publish(batches[1]);
      await ch.waitForConfirms();
      const stored = gw.db.collection('audit_log');
      await eventually(
        async () =>
          (await gw.vhost.queueDepth(QUEUES.audit)) === 0 &&
          (await stored.countDocuments({ processId: 'p-order' })) === 360,
      );
      const docs = await stored.find({ processId: 'p-order' }).sort({ time: 1, _id: 1 }).toArray();
      expect(docs.map((d) => d.correlationId)).toEqual(Array.from({ length: 360 }, (_, i) => `req-${i}`));
      expect(docs[2]).toMatchObject({ action: 'cancel', tenantId: 'acme', status: 202 });
    } finally {
      await conn.close();
      await server.close();
    }
  });
});
