import { createVhost, privateService, redisPrefix, serviceEnv } from '@stargate/testkit';
import { describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../index.js';
import { accessToken, startFakeServer, submit, testConfig } from '../testing/fixtures.js';

const order = { processType: 'order', data: { sku: 'R', quantity: 1 } };

describe('rate limits', () => {
  it('lets two gateways sharing Redis accept exactly the configured burst between them', async () => {
    const vhost = await createVhost('gw-rl');
    const server = await startFakeServer(vhost.url);
    const prefix = redisPrefix('gw-rl');
    // One request per minute refills: the burst is the whole budget during the test.
    const config = testConfig({ burst: 5, rpm: 1 });
    const gateways: RunningGateway[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        gateways.push(
          await startGateway({
            config,
            redisUrl: serviceEnv().redisUrl,
            amqpUrl: vhost.url,
            redisPrefix: prefix,
          }),
        );
      }
      // Tokens do not count against the API budget.
      const tokens = await Promise.all(gateways.map((g) => accessToken(g.url, 'alpha')));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => submit(gateways[i % 2]!.url, tokens[i % 2]!, order)),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 202)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(15);
      const limited = results.find((r) => r.status === 429)!;
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.headers.get('ratelimit-policy')).toBe('"tenant";q=1;w=60;burst=5');
      expect(limited.headers.get('ratelimit')).toMatch(/^"tenant";r=0;t=\d+$/);
      expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(await limited.json()).toMatchObject({
        error: 'RATE_LIMIT_EXCEEDED',
        retryAfter: expect.any(Number),
      });
      const metrics = await (await fetch(`${gateways[0]!.url}/metrics`)).text();
      expect(metrics).toMatch(/gateway_rate_limit_exceeded_total\{tenant="alpha"\} \d+/);
      // Another tenant has its own budget.
      const beta = await accessToken(gateways[0]!.url, 'beta');
      expect((await submit(gateways[0]!.url, beta, order)).status).toBe(202);
    } finally {
      for (const g of gateways) await g.close();
      await server.close();
      await vhost.close();
    }
  });

  it('keeps serving with the per-instance limit when Redis stops, and counts the fallback', async () => {
    const redis = await privateService('redis');
    const vhost = await createVhost('gw-rlf');
    const server = await startFakeServer(vhost.url);
    const gw = await startGateway({
      config: testConfig({ burst: 3, rpm: 1 }),
      redisUrl: redis.url,
      amqpUrl: vhost.url,
      redisPrefix: redisPrefix('gw-rlf'),
      rateLimitCooldownMs: 60_000,
    });
    try {
      const token = await accessToken(gw.url, 'alpha');
      const first = (await (await submit(gw.url, token, order)).json()) as { processId: string };
      const { eventually } = await import('@stargate/testkit');
      await eventually(() => server.processes.has(first.processId));
      await redis.stop();
      // Status reads go to the server instead (this one costs a local token), and a long-poll without Redis answers instead of spinning.
      const id = first.processId;
      const before = server.rpcCalls.length;
      const status = await fetch(`${gw.url}/api/stargate/processes/${id}`, {
        headers: { authorization: `Bearer ${token}`, prefer: 'wait=60' },
      });
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({ processId: id, status: 'accepted' });
      expect(server.rpcCalls.length - before).toBeLessThanOrEqual(3);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await submit(gw.url, token, order)).status);
      // The local limiter starts with a full burst of its own (3, one spent on the read): then 429, never a 500.
      expect(statuses).toEqual([202, 202, 429, 429]);
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      expect(metrics).toMatch(/gateway_ratelimit_fallback_total 5/);
      expect((await fetch(`${gw.url}/health/ready`)).status).toBe(503);
      await eventually(() => server.requests.length === 3);
    } finally {
      await gw.close();
      await server.close();
      await vhost.close();
      await redis.close();
    }
  });
});
