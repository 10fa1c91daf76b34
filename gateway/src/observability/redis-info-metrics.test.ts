import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisInfo, registerRedisInfoMetrics } from './redis-info-metrics.js';

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

const read = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

describe('Redis memory and eviction metrics', () => {
  // Evictions need a memory limit: a private Redis (the shared one must not be limited).
  let server: ChildProcess;
  let redis: Redis;
  beforeAll(async () => {
    const port = await freePort();
    server = spawn(
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    redis = new Redis({ port, host: '127.0.0.1', retryStrategy: (n) => (n > 100 ? null : 100) });
    redis.on('error', () => undefined);
    // Ready once it answers (the client reconnects until the server listens).
    await redis.ping();
    await redis.config('SET', 'maxmemory', String(4 * 1024 * 1024));
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
  });
  afterAll(async () => {
    redis?.disconnect();
    server?.kill();
  });

  it('reads used memory, the limit and the evictions that happen while it watches', async () => {
    const registry = new Registry();
    const errors: Error[] = [];
    registerRedisInfoMetrics({ registry, redis, onError: (e) => errors.push(e) });
    const first = await registry.metrics();
    expect(read(first, 'gateway_redis_maxmemory_bytes')).toBe(4 * 1024 * 1024);
    expect(read(first, 'gateway_redis_used_memory_bytes')).toBeGreaterThan(0);
    expect(read(first, 'gateway_redis_evicted_keys_total')).toBe(0);

    const value = 'x'.repeat(10_000);
    for (let batch = 0; batch < 10; batch++) {
      const pipeline = redis.pipeline();
      for (let i = 0; i < 100; i++) pipeline.set(`k:${batch}:${i}`, value);
      await pipeline.exec();
    }
    const second = await registry.metrics();
    const evicted = read(second, 'gateway_redis_evicted_keys_total');
    expect(evicted).toBeGreaterThan(0);

    // Redis' own counter starting over (a restart, CONFIG RESETSTAT) never makes ours go back.
    await redis.config('RESETSTAT');
    expect(read(await registry.metrics(), 'gateway_redis_evicted_keys_total')).toBe(evicted);
    expect(errors).toEqual([]);
  });

  it('keeps the last figures and reports the error when Redis does not answer', async () => {
    const registry = new Registry();
    const errors: Error[] = [];
    const gone = new Redis({
      port: 1,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    gone.on('error', () => undefined);
    registerRedisInfoMetrics({ registry, redis: gone, onError: (e) => errors.push(e) });
    const text = await registry.metrics();
    expect(read(text, 'gateway_redis_used_memory_bytes')).toBe(0);
    expect(errors.length).toBe(1);
    gone.disconnect();
  });

  it('parses the INFO fields it needs', () => {
    expect(
      parseRedisInfo('# Memory\r\nused_memory:1024\r\nmaxmemory:0\r\n# Stats\r\nevicted_keys:7\r\n'),
    ).toEqual({ usedMemory: 1024, maxMemory: 0, evictedKeys: 7 });
  });
});
