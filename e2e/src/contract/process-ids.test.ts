/**
 * Process ids are unique for ever: two gateways hand them out from blocks the server reserves
 * in MongoDB, so neither flushing Redis in the middle of the day nor restarting a gateway
 * makes an id come round again; a keyed resend keeps its id; old UUID ids stay readable.
 */
import { randomUUID } from 'node:crypto';
import { eventually, type PrivateService, privateService } from '@stargate/testkit';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';
import { exampleConfig, http, orderData, pool, submit } from '../support/system.js';

let redis: PrivateService;
let stack: Stack;

beforeAll(async () => {
  redis = await privateService('redis');
  stack = await startStack({
    ...(await exampleConfig({ raiseLimits: true })),
    gateways: 2,
    workers: 1,
    redisUrl: redis.url,
  });
});

afterAll(async () => {
  await stack?.close();
  await redis?.close();
});

async function submitMany(token: string, count: number, tag: string): Promise<string[]> {
  return pool(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => {
      const res = await submit(stack.gatewayUrls[i % 2]!, token, 'order', orderData(`${tag}-${i}`, 1), {
        clientProcessId: `${tag}-${i}`,
      });
      expect(res.status, res.text).toBe(202);
      return res.body.processId;
    },
  );
}

it('never reuses an id across gateways, a Redis flush mid-day and a gateway restart', async () => {
  const token = await stack.token('acme');
  const ids: string[] = [];
  ids.push(...(await submitMany(token, 20, 'ID1')));

  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  try {
    await client.flushall();
  } finally {
    client.disconnect();
  }
  ids.push(...(await submitMany(await stack.token('acme'), 20, 'ID2')));

  await stack.gateways[0]!.kill('SIGTERM');
  await stack.startGateway(0);
  ids.push(...(await submitMany(await stack.token('acme'), 20, 'ID3')));

  expect(ids.every((id) => /^PROC-\d{8}-\d{5,}$/.test(id))).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
  // Every accepted id names its own process in the record of truth.
  const mongo = await MongoClient.connect(stack.mongo.url);
  try {
    const processes = mongo.db(stack.mongo.dbName).collection('processes');
    let found = 0;
    await eventually(
      async () => {
        found = await processes.countDocuments({ processId: { $in: ids } });
        return found === ids.length;
      },
      240_000,
      500,
    ).catch((err: Error) => {
      const total = processes.countDocuments({});
      return total.then((n) => {
        throw new Error(`${found} of ${ids.length} recorded (${n} in all)`, { cause: err });
      });
    });
  } finally {
    await mongo.close();
  }
}, 420_000);

it('gives a keyed resend the same id, and keeps reading a process with an old UUID id', async () => {
  const token = await stack.token('acme');
  const key = randomUUID();
  const first = await submit(stack.gatewayUrls[0]!, token, 'order', orderData('ID-K'), {
    clientProcessId: 'ID-K',
    idempotencyKey: key,
  });
  const again = await submit(stack.gatewayUrls[1]!, token, 'order', orderData('ID-K'), {
    clientProcessId: 'ID-K',
    idempotencyKey: key,
  });
  expect(first.status).toBe(202);
  expect(again.status).toBe(202);
  expect(again.body.processId).toBe(first.body.processId);

  // A process accepted before API 1.0, under a UUID, as the server recorded it.
  const legacyId = randomUUID();
  const mongo = await MongoClient.connect(stack.mongo.url);
  try {
    const now = new Date();
    await mongo
      .db(stack.mongo.dbName)
      .collection('processes')
      .insertOne({
        processId: legacyId,
        tenantId: 'acme',
        idemKey: `acme:${legacyId}`,
        clientId: 'acme-client',
        processType: 'order',
        status: 'completed',
        version: 3,
        payloadHash: 'x',
        data: {},
        result: { orderId: 'OLD-1' },
        attempts: 1,
        submittedAt: now.toISOString(),
        createdAt: now,
        updatedAt: now,
        completedAt: now,
      });
  } finally {
    await mongo.close();
  }
  const legacy = await http(`${stack.gatewayUrls[0]}/api/stargate/processes/${legacyId}`, { token });
  expect(legacy.status).toBe(200);
  expect(legacy.body).toMatchObject({
    processId: legacyId,
    status: 'completed',
    result: { orderId: 'OLD-1' },
  });
}, 120_000);

it('keeps a keyed resend on its first id while Redis is down (the server binds the key)', async () => {
  const token = await stack.token('acme');
  await redis.stop();
  try {
    const key = randomUUID();
    const send = (gateway: number) =>
      submit(stack.gatewayUrls[gateway]!, token, 'order', orderData('ID-R'), {
        clientProcessId: 'ID-R',
        idempotencyKey: key,
      });
    const first = await send(0);
    const again = await send(1);
    expect(first.status, first.text).toBe(202);
    expect(again.status, again.text).toBe(202);
    expect(again.body.processId).toBe(first.body.processId);
  } finally {
    await redis.start();
  }
}, 120_000);
