/**
 * The gateway on the Redis topologies production may use: a Redis Cluster (every multi-key
 * script stays in one slot thanks to the tenant hash tag) and a master found through Sentinel.
 * Each assertion needs Redis itself, not the fallbacks: an idempotent replay, the cached
 * state, and a rate-limit budget with no fallback counted.
 */
import { randomUUID } from 'node:crypto';
import { privateRedisCluster, privateRedisSentinel, type RedisTopologyInstance } from '@stargate/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { RedisTopology } from './redis-client.js';
import { accessToken, startTestBed, submit, type TestBed } from '../testing/fixtures.js';

let bed: TestBed | undefined;
let redis: RedisTopologyInstance | undefined;
afterEach(async () => {
  await bed?.close();
  await redis?.close();
  bed = undefined;
  redis = undefined;
});

async function exercise(topology: RedisTopology): Promise<void> {
  bed = await startTestBed({ redisUrl: 'redis://127.0.0.1', redisTopology: topology });
  const url = bed.gw.url;
  const token = await accessToken(url, 'alpha');
  const key = randomUUID();
  const payload = { processType: 'order', data: { sku: 'T', quantity: 1 } };
  const first = await submit(url, token, payload, { 'idempotency-key': key });
  expect(first.status).toBe(202);
  expect(first.headers.get('ratelimit-policy')).toContain('"tenant"');
  const { processId, statusUrl } = (await first.json()) as { processId: string; statusUrl: string };

  const again = await submit(url, token, payload, { 'idempotency-key': key });
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect(((await again.json()) as { processId: string }).processId).toBe(processId);

  const status = await fetch(`${url}${statusUrl}`, { headers: { authorization: `Bearer ${token}` } });
  expect(status.status).toBe(200);
  expect(await status.json()).toMatchObject({ processId, status: 'accepted' });

  const metrics = await (await fetch(`${url}/metrics`)).text();
  const fallback = metrics
    .split('\n')
    .filter((l) => l.startsWith('gateway_ratelimit_fallback_total'))
    .map((l) => Number(l.split(' ').pop()));
  expect(fallback.length).toBeGreaterThan(0);
  expect(fallback.every((v) => v === 0)).toBe(true);
}

describe('Redis topologies', () => {
  it('works against a three-master Redis Cluster', async () => {
    redis = await privateRedisCluster();
    await exercise({ mode: 'cluster', nodes: redis.nodes });
  });

  it('finds its master through Sentinel', async () => {
    redis = await privateRedisSentinel();
    await exercise({ mode: 'sentinel', sentinels: redis.nodes, masterName: redis.masterName! });
  });
});
