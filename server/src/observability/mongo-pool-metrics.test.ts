import { serviceEnv } from '@stargate/testkit';
import { MongoClient } from 'mongodb';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { observeMongoPool } from './mongo-pool-metrics.js';

async function series(
  registry: Registry,
  name: string,
): Promise<{ labels: Record<string, unknown>; value: number }[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  return (await metric.get()).values.map((v) => ({
    labels: v.labels as Record<string, unknown>,
    value: v.value,
  }));
}
const total = async (registry: Registry, name: string) =>
  (await series(registry, name)).reduce((sum, s) => sum + s.value, 0);

describe('MongoDB connection pool metrics (CMAP events)', () => {
  const clients: MongoClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
  });

  function client(options: ConstructorParameters<typeof MongoClient>[1]): {
    client: MongoClient;
    registry: Registry;
  } {
    const c = new MongoClient(serviceEnv().mongoUrl, { serverSelectionTimeoutMS: 3_000, ...options });
    clients.push(c);
    const registry = new Registry();
    observeMongoPool(c).register(registry);
    return { client: c, registry };
  }

  it('shows the pool size limit, connections lent and returned, and how long check-outs took', async () => {
    const { client: c, registry } = client({ maxPoolSize: 3 });
    await c.connect();
    await Promise.all(Array.from({ length: 10 }, () => c.db('admin').command({ ping: 1 })));
    expect((await series(registry, 'server_mongodb_pool_max_connections')).map((s) => s.value)).toEqual([3]);
    const open = await total(registry, 'server_mongodb_pool_connections');
    expect(open).toBeGreaterThanOrEqual(1);
    expect(open).toBeLessThanOrEqual(3);
    // Every connection came back and nobody waits any more.
    expect(await total(registry, 'server_mongodb_pool_checked_out_connections')).toBe(0);
    expect(await total(registry, 'server_mongodb_pool_wait_queue_size')).toBe(0);
    const text = await registry.metrics();
    expect(
      Number(/^server_mongodb_pool_checkout_duration_seconds_count (\d+)/m.exec(text)?.[1]),
    ).toBeGreaterThanOrEqual(10);
  });

  it('counts check-outs that time out when the pool is exhausted', async () => {
    // One connection and no patience: a burst of operations must wait, and most give up.
    const { client: c, registry } = client({ maxPoolSize: 1, waitQueueTimeoutMS: 1 });
    // connect() itself may already wait longer than 1 ms for the first connection.
    await c.connect().catch(() => undefined);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => c.db('admin').command({ ping: 1 })),
    );
    expect(results.some((r) => r.status === 'rejected')).toBe(true);
    const failures = await series(registry, 'server_mongodb_pool_checkout_failures_total');
    expect(failures.find((s) => s.labels.reason === 'timeout')?.value).toBeGreaterThan(0);
    expect(await total(registry, 'server_mongodb_pool_wait_queue_size')).toBe(0);
  });

  it('drops the series of a pool once the client closes', async () => {
    const { client: c, registry } = client({});
    await c.connect();
    await c.db('admin').command({ ping: 1 });
    expect(await series(registry, 'server_mongodb_pool_connections')).not.toEqual([]);
    await c.close();
    expect(await series(registry, 'server_mongodb_pool_connections')).toEqual([]);
  });
});
