import { eventually, type PrivateService, privateService } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../server.js';
import { type GatewayDouble, gatewayDouble, quietLogger } from '../testing/gateway-double.js';

const order = { orderId: 'PO-R', customerId: 'C-R', items: [{ sku: 'R', quantity: 1, unitPrice: 1 }] };

describe('RabbitMQ stopped and restarted under a running worker', () => {
  let rabbit: PrivateService;
  const doubles: GatewayDouble[] = [];
  let server: RunningServer;

  const ready = () =>
    fetch(`http://127.0.0.1:${server.healthPort}/health/ready`).then(
      (r) => r.status,
      () => 0,
    );

  beforeAll(async () => {
    rabbit = await privateService('rabbitmq');
    const first = await gatewayDouble(['order'], { amqpUrl: rabbit.url });
    doubles.push(first);
    server = await startServer({
      amqpUrl: rabbit.url,
      mongoUrl: first.mongoUrl,
      dbName: first.dbName,
      processTypes: ['order'],
      logger: quietLogger,
      healthPort: 0,
    });
  });

  /** A fresh stand-in gateway on the same database (the one before an outage loses its connection). */
  async function freshDouble(): Promise<GatewayDouble> {
    const first = doubles[0]!;
    const d = await gatewayDouble(['order'], {
      amqpUrl: rabbit.url,
      mongoUrl: first.mongoUrl,
      dbName: first.dbName,
    });
    doubles.push(d);
    return d;
  }
  afterAll(async () => {
    await server?.close();
    for (const d of doubles.reverse()) await d.close();
    await rabbit?.close();
  });

  it('reconnects by itself, re-declares its consumers and goes on processing', async () => {
    const before = await freshDouble();
    await before.waitFor(await before.submit('order', order), 'completed');

    await rabbit.stop();
    await eventually(async () => (await ready()) === 503);
    await rabbit.start();
    await eventually(async () => (await ready()) === 200, 60_000);

    const after = await freshDouble();
    const id = await after.submit('order', order);
    expect((await after.waitFor(id, 'completed', 30_000)).result).toMatchObject({ status: 'confirmed' });
  });

  it('a handler in flight during the outage is aborted with its channel and run again after it: the process completes once, never fails', async () => {
    await eventually(async () => (await ready()) === 200, 60_000);
    const d = await freshDouble();
    const id = await d.submit('order', { ...order, orderId: 'PO-OUT', simulate: { delayMs: 4000 } });
    await eventually(async () => (await d.process(id))?.progress?.percent === 10);
    // The handler reports 40 % and 80 % while the broker is away.
    await rabbit.stop();
    await rabbit.start();
    const doc = await d.waitFor(id, 'completed', 90_000);
    expect(doc.result).toMatchObject({ orderId: 'PO-OUT', status: 'confirmed' });
    const statuses = (await d.events(id)).map((e) => e.status);
    expect(statuses.filter((s) => s === 'completed')).toHaveLength(1);
    expect(statuses).not.toContain('failed');
  });
});
