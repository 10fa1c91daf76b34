import { eventually, privateService, redisPrefix, serviceEnv } from '@stargate/testkit';
import { connect } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { startGateway } from '../index.js';
import { accessToken, startFakeServer, submit, testConfig } from '../testing/fixtures.js';
import { processQueue } from '@stargate/contracts';

describe('RabbitMQ unavailable', () => {
  it('answers 503 with Retry-After and accepts nothing until the broker is back', async () => {
    const rabbit = await privateService('rabbitmq');
    const gw = await startGateway({
      config: testConfig(),
      redisUrl: serviceEnv().redisUrl,
      amqpUrl: rabbit.url,
      redisPrefix: redisPrefix('gw-bd'),
    });
    try {
      // A work queue without a consumer: what it holds is what was durably accepted. The stand-in
      // answers queries only, so the gateway can reserve its first block of process ids.
      const declarer = await startFakeServer(rabbit.url, { consumeRequests: false });
      const token = await accessToken(gw.url, 'alpha');
      const order = { processType: 'order', data: { sku: 'D', quantity: 1 } };
      const ok = await submit(gw.url, token, order);
      expect(ok.status).toBe(202);
      const accepted = (await ok.json()) as { processId: string };
      await declarer.close();

      await rabbit.stop();
      const down = await submit(gw.url, token, order, { 'idempotency-key': 'while-down' });
      expect(down.status).toBe(503);
      expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await down.json()).toMatchObject({
        error: 'SERVICE_UNAVAILABLE',
        retryAfter: expect.any(Number),
      });
      expect((await fetch(`${gw.url}/health/ready`)).status).toBe(503);

      await rabbit.start();
      await eventually(async () => (await fetch(`${gw.url}/health/ready`)).status === 200, 60_000, 200);
      // The refused request's key is open again with its process id: the retry is accepted under it.
      const retried = await submit(gw.url, token, order, { 'idempotency-key': 'while-down' });
      expect(retried.status).toBe(202);
      const retriedId = ((await retried.json()) as { processId: string }).processId;

      const conn = await connect(rabbit.url);
      const ch = await conn.createChannel();
      const ids: string[] = [];
      for (;;) {
        const msg = await ch.get(processQueue('order'), { noAck: true });
        if (!msg) break;
        ids.push((JSON.parse(msg.content.toString()) as { data: { processId: string } }).data.processId);
      }
      await conn.close();
      expect(ids.sort()).toEqual([accepted.processId, retriedId].sort());

      // The projector consumes again on the new connection.
      const server = await startFakeServer(rabbit.url);
      await server.publishState({
        processId: retriedId,
        tenantId: 'alpha',
        processType: 'order',
        status: 'completed',
        version: 2,
        createdAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
      });
      await eventually(async () => {
        const r = await fetch(`${gw.url}/api/stargate/processes/${retriedId}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return ((await r.json()) as { status: string }).status === 'completed';
      });
      await server.close();
    } finally {
      await gw.close();
      await rabbit.close();
    }
  });
});
