import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessToken, startTestBed, submit, type TestBed } from '../testing/fixtures.js';

describe('long-poll (Prefer: wait=N)', () => {
  let bed: TestBed;
  let token: string;

  beforeAll(async () => {
    bed = await startTestBed();
    token = await accessToken(bed.gw.url, 'alpha');
  });
  afterAll(async () => bed?.close());

  it('holds the status request until the state event arrives, then answers with the new state', async () => {
    const accepted = (await (
      await submit(bed.gw.url, token, { processType: 'order', data: { sku: 'L', quantity: 1 } })
    ).json()) as {
      processId: string;
      statusUrl: string;
      createdAt: string;
    };
    const started = performance.now();
    const pending = fetch(`${bed.gw.url}${accepted.statusUrl}`, {
      headers: { authorization: `Bearer ${token}`, prefer: 'wait=30', 'if-none-match': '"v0"' },
    });
    // Publish only once the request is parked on its wake-up channel.
    const { redis, keys } = bed.gw.gateway.context;
    const channel = keys.processChannel('alpha', accepted.processId);
    const { eventually } = await import('@stargate/testkit');
    await eventually(async () => {
      const [, count] = (await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
      return Number(count) > 0;
    });
    const published = performance.now();
    await bed.server.publishState({
      processId: accepted.processId,
      tenantId: 'alpha',
      processType: 'order',
      status: 'processing',
      version: 1,
      createdAt: accepted.createdAt,
      updatedAt: new Date().toISOString(),
      progress: { percent: 40, currentStep: 'picking' },
    });
    const res = await pending;
    const answered = performance.now();
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=30');
    expect(res.headers.get('etag')).toBe('"v1"');
    expect(await res.json()).toMatchObject({ status: 'processing', progress: 40, currentStep: 'picking' });
    // Measured, not asserted: the wake-up latency a user would see.
    console.info(
      `long-poll: answered ${(answered - published).toFixed(1)} ms after the event was published (held ${(published - started).toFixed(0)} ms)`,
    );
  });

  it('answers at once for a terminal state and after the wait with the unchanged state', async () => {
    const { processId, statusUrl, createdAt } = (await (
      await submit(bed.gw.url, token, { processType: 'order', data: { sku: 'T', quantity: 1 } })
    ).json()) as { processId: string; statusUrl: string; createdAt: string };
    const unchanged = await fetch(`${bed.gw.url}${statusUrl}`, {
      headers: { authorization: `Bearer ${token}`, prefer: 'wait=1' },
    });
    expect(unchanged.status).toBe(200);
    expect(await unchanged.json()).toMatchObject({ status: 'accepted' });
    await bed.server.publishState({
      processId,
      tenantId: 'alpha',
      processType: 'order',
      status: 'completed',
      version: 2,
      createdAt,
      updatedAt: new Date().toISOString(),
    });
    const { eventually } = await import('@stargate/testkit');
    const done = await eventually(async () => {
      const r = await fetch(`${bed.gw.url}${statusUrl}`, {
        headers: { authorization: `Bearer ${token}`, prefer: 'wait=30' },
      });
      return r.status === 200 && ((await r.json()) as { status: string }).status === 'completed';
    });
    expect(done).toBe(true);
  });
});
