import { serviceEnv } from '@stargate/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessToken, startTestBed, submit, type TestBed } from '../testing/fixtures.js';

describe('status read', () => {
  let bed: TestBed;
  beforeAll(async () => {
    bed = await startTestBed();
  });
  afterAll(async () => bed?.close());

  it('costs one Redis command: the rate-limit script also reads the state', async () => {
    const token = await accessToken(bed.gw.url, 'alpha');
    const accepted = (await (
      await submit(bed.gw.url, token, { processType: 'order', data: { sku: 'RT', quantity: 1 } })
    ).json()) as { processId: string; statusUrl: string };
    // Warm: the first call of a script may send its source (NOSCRIPT).
    await fetch(new URL(accepted.statusUrl, bed.gw.url), { headers: { authorization: `Bearer ${token}` } });

    const monitor = await new Redis(serviceEnv().redisUrl).monitor();
    const seen: string[][] = [];
    // Commands a client sent; those run inside a script show up with the source "lua".
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua' && args.some((a) => a.startsWith(`${bed.prefix}:`))) seen.push(args);
    });
    try {
      const res = await fetch(new URL(accepted.statusUrl, bed.gw.url), {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ processId: accepted.processId, status: 'accepted' });
      expect(res.headers.get('ratelimit-policy')).toMatch(/^"tenant";q=\d+/);
      // MONITOR lines arrive shortly after the command ran.
      await new Promise((r) => setTimeout(r, 300));
      expect(seen.map((args) => args[0]?.toLowerCase())).toEqual(['evalsha']);
      expect(seen[0]).toContain(bed.gw.gateway.context.keys.process('alpha', accepted.processId));
    } finally {
      monitor.disconnect();
    }
  });
});
