import { eventually } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessToken, startTestBed, submit, type TestBed } from './testing/fixtures.js';

describe('graceful shutdown', () => {
  let bed: TestBed;
  beforeAll(async () => {
    bed = await startTestBed();
  });
  afterAll(async () => {
    await bed.server.close();
    await bed.vhost.close();
  });

  it('answers a waiting long-poll, finishes in-flight work, then refuses new connections', async () => {
    const token = await accessToken(bed.gw.url, 'alpha');
    const { statusUrl } = (await (
      await submit(bed.gw.url, token, { processType: 'order', data: { sku: 'S', quantity: 1 } })
    ).json()) as {
      statusUrl: string;
    };
    const waiting = fetch(`${bed.gw.url}${statusUrl}`, {
      headers: { authorization: `Bearer ${token}`, prefer: 'wait=60' },
    });
    const { redis, keys } = bed.gw.gateway.context;
    await eventually(async () => {
      const channels = (await redis.call(
        'PUBSUB',
        'CHANNELS',
        `${keys.processChannel('alpha', '*')}`,
      )) as string[];
      return channels.length > 0;
    });
    const closing = bed.gw.close();
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'accepted' });
    await closing;
    await expect(
      fetch(`${bed.gw.url}${statusUrl}`, { headers: { authorization: `Bearer ${token}` } }),
    ).rejects.toThrow();
  });
});
