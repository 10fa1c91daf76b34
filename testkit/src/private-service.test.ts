import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { privateService } from './index.js';

describe('private service instances', () => {
  it('starts, stops and restarts a Redis of its own', async () => {
    const svc = await privateService('redis');
    try {
      const client = () =>
        new Redis(svc.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      const a = client();
      await a.connect();
      expect(await a.ping()).toBe('PONG');
      a.disconnect();
      await svc.stop();
      const b = client();
      await expect(b.connect()).rejects.toThrow();
      b.disconnect();
      await svc.start();
      const c = client();
      await c.connect();
      expect(await c.ping()).toBe('PONG');
      c.disconnect();
    } finally {
      await svc.close();
    }
  });
});
