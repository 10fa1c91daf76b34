import { eventually, type PrivateService, privateService } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../server.js';
import { type GatewayDouble, gatewayDouble, quietLogger } from '../test-support.js';

const order = { orderId: 'PO-R', customerId: 'C-R', items: [{ sku: 'R', quantity: 1, unitPrice: 1 }] };

describe('RabbitMQ stopped and restarted under a running worker', () => {
  let rabbit: PrivateService;
  const doubles: GatewayDouble[] = [];
  let server: RunningServer;

  beforeAll(async () => {
    rabbit = await privateService('rabbitmq');
  });
  afterAll(async () => {
    await server?.close();
    for (const d of doubles.reverse()) await d.close();
    await rabbit?.close();
  });

  it('reconnects by itself, re-declares its consumers and goes on processing', async () => {
    const before = await gatewayDouble(['order'], { amqpUrl: rabbit.url });
    doubles.push(before);
    server = await startServer({
      amqpUrl: rabbit.url,
      mongoUrl: before.mongoUrl,
      dbName: before.dbName,
      processTypes: ['order'],
      logger: quietLogger,
      healthPort: 0,
    });
    const ready = () =>
      fetch(`http://127.0.0.1:${server.healthPort}/health/ready`).then(
        (r) => r.status,
        () => 0,
      );
    await before.waitFor(await before.submit('order', order), 'completed');

    await rabbit.stop();
    await eventually(async () => (await ready()) === 503);
    await rabbit.start();
    await eventually(async () => (await ready()) === 200, 60_000);

    const after = await gatewayDouble(['order'], {
      amqpUrl: rabbit.url,
      mongoUrl: before.mongoUrl,
      dbName: before.dbName,
    });
    doubles.push(after);
    const id = await after.submit('order', order);
    expect((await after.waitFor(id, 'completed', 30_000)).result).toMatchObject({ status: 'confirmed' });
  });
});
