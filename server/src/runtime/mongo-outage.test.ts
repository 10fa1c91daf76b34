import { eventually, type PrivateService, privateService } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../server.js';
import { type GatewayDouble, gatewayDouble, quietLogger } from '../testing/gateway-double.js';

const order = (n: number) => ({
  orderId: `PO-${n}`,
  customerId: 'C-M',
  items: [{ sku: 'SKU-M', quantity: 1, unitPrice: 2 }],
  simulate: { delayMs: 600 },
});

describe('MongoDB stopped and restarted while the worker runs', () => {
  let mongo: PrivateService;
  let gw: GatewayDouble;
  let server: RunningServer;

  beforeAll(async () => {
    mongo = await privateService('mongo');
    gw = await gatewayDouble(['order'], { mongoUrl: mongo.url });
    server = await startServer({
      amqpUrl: gw.vhost.url,
      mongoUrl: mongo.url,
      dbName: gw.dbName,
      processTypes: ['order'],
      logger: quietLogger,
      healthPort: 0,
    });
  });
  afterAll(async () => {
    await server?.close();
    await mongo?.start().catch(() => undefined);
    await gw?.close();
    await mongo?.close();
  });

  const ready = async () => (await fetch(`http://127.0.0.1:${server.healthPort}/health/ready`)).status;

  it('loses and duplicates nothing: every process completes once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await gw.submit('order', order(i)));
    await eventually(async () => (await gw.process(ids[0] ?? ''))?.status === 'processing');

    await mongo.stop();
    await eventually(async () => (await ready()) === 503);
    // Handlers in flight hit the outage: the worker pauses instead of failing them.
    await eventually(async () => {
      const text = await (await fetch(`http://127.0.0.1:${server.healthPort}/metrics`)).text();
      return /server_errors_total\{component="mongodb"\} [1-9]/.test(text);
    });
    for (let i = 6; i < 10; i++) ids.push(await gw.submit('order', order(i)));
    await mongo.start();
    await eventually(async () => (await ready()) === 200, 30_000);

    for (const id of ids) await gw.waitFor(id, 'completed', 60_000);
    expect(await gw.db.collection('processes').countDocuments({})).toBe(10);
    for (const id of ids) {
      expect((await gw.events(id)).filter((e) => e.status === 'completed')).toHaveLength(1);
    }
  });
});
