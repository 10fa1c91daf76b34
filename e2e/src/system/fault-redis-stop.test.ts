/**
 * Fault: Redis (the gateway's cache, limiter and idempotency store) stops under load.
 * Submissions go on with the gateway's local limiter, status answers come from the server
 * over RabbitMQ, and when Redis is back the cache fills again. Ledger check at the end.
 */
import { redisKeys } from '@stargate/contracts';
import { eventually, type PrivateService, privateService } from '@stargate/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';
import {
  cachedToken,
  cleanLedger,
  exampleConfig,
  http,
  ledger,
  loadItems,
  startLoad,
} from '../support/system.js';

let redis: PrivateService;
let stack: Stack;

beforeAll(async () => {
  redis = await privateService('redis');
  stack = await startStack({
    ...(await exampleConfig({ raiseLimits: true })),
    gateways: 1,
    workers: 1,
    redisUrl: redis.url,
  });
});

afterAll(async () => {
  await stack?.close();
  await redis?.close();
});

it('Redis stops: submissions continue, status falls back to the server, the cache refills', async () => {
  const token = cachedToken(() => stack.token('acme'));
  const url = () => stack.gatewayUrls;
  const before = startLoad(url, token, loadItems(20, 'R1'));
  await before.finish();
  const [knownId] = [...before.accepted.keys()];

  await redis.stop();
  // Accepted without Redis, without a single refusal the client would have to retry.
  const during = startLoad(url, token, loadItems(30, 'R2'), { concurrency: 5 });
  await during.submitted;
  expect(during.retriedAnswers).toEqual({});
  // ...and it was the gateway's local limiter that admitted them.
  const metrics = await (await fetch(`${url()[0]}/metrics`)).text();
  expect(Number(/^gateway_ratelimit_fallback_total (\d+)/m.exec(metrics)?.[1] ?? 0)).toBeGreaterThan(0);
  // Status of a process finished before the outage: answered from MongoDB through the server.
  const status = await http<{ status: string }>(`${url()[0]}/api/stargate/processes/${knownId}`, {
    token: await token(),
  });
  expect(status.status).toBe(200);
  expect(status.body.status).toBe('completed');
  await during.finish();

  await redis.start();
  // After Redis is back, reading a process puts its state into the cache again.
  const [someId] = [...during.accepted.keys()];
  const keys = redisKeys({ prefix: stack.redisPrefix });
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  try {
    await eventually(
      async () => {
        const res = await http(`${url()[0]}/api/stargate/processes/${someId}`, { token: await token() });
        expect(res.status).toBe(200);
        return (await client.exists(keys.process('acme', someId ?? ''))) === 1;
      },
      60_000,
      500,
    );
  } finally {
    client.disconnect();
  }
  const after = startLoad(url, token, loadItems(10, 'R3'));
  await after.finish();

  const all = new Map([...before.accepted, ...during.accepted, ...after.accepted]);
  const report = await ledger(stack.mongo, all);
  expect(report).toEqual(cleanLedger(report));
  expect(report.byStatus, report.failedDetails.slice(0, 5).join('; ')).toEqual({ completed: 60 });
}, 300_000);
