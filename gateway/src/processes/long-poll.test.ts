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

describe('long polls per tenant (cap of held polls per instance)', () => {
  let bed: TestBed;

  beforeAll(async () => {
    bed = await startTestBed({ maxLongPollsPerTenant: 2 });
  });
  afterAll(async () => bed?.close());

  it('answers a poll over the cap at once without the wait, as a normal 200, and counts it', async () => {
    const { eventually } = await import('@stargate/testkit');
    const alpha = await accessToken(bed.gw.url, 'alpha');
    const beta = await accessToken(bed.gw.url, 'beta');
    const accepted = (await (
      await submit(bed.gw.url, alpha, { processType: 'order', data: { sku: 'C', quantity: 1 } })
    ).json()) as { processId: string; statusUrl: string; createdAt: string };
    const poll = (token: string, url = accepted.statusUrl) =>
      fetch(`${bed.gw.url}${url}`, { headers: { authorization: `Bearer ${token}`, prefer: 'wait=30' } });
    const held = [poll(alpha), poll(alpha)];
    const slots = bed.gw.gateway.context.longPolls;
    await eventually(() => slots.held('alpha') === 2);

    const started = performance.now();
    const over = await poll(alpha);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(over.status).toBe(200);
    // RFC 7240: the wait was not applied, so it is not echoed.
    expect(over.headers.get('preference-applied')).toBeNull();
    expect(over.headers.get('etag')).toBe('"v0"');
    expect(await over.json()).toMatchObject({ status: 'accepted' });
    const metrics = await (await fetch(`${bed.gw.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_long_polls_over_cap_total\{tenant="alpha"\} 1/);

    // Another tenant's polls are not held back by alpha's.
    const betaProcess = (await (
      await submit(bed.gw.url, beta, { processType: 'order', data: { sku: 'D', quantity: 1 } })
    ).json()) as { processId: string; statusUrl: string; createdAt: string };
    const betaPoll = poll(beta, betaProcess.statusUrl);
    await eventually(() => slots.held('beta') === 1);

    // The held polls answer with the change and give their slots back.
    await bed.server.publishState({
      processId: accepted.processId,
      tenantId: 'alpha',
      processType: 'order',
      status: 'completed',
      version: 1,
      createdAt: accepted.createdAt,
      updatedAt: new Date().toISOString(),
    });
    for (const res of await Promise.all(held)) {
      expect(res.status).toBe(200);
      expect(res.headers.get('preference-applied')).toBe('wait=30');
      expect(await res.json()).toMatchObject({ status: 'completed' });
    }
    expect(slots.held('alpha')).toBe(0);
    const again = (await (
      await submit(bed.gw.url, alpha, { processType: 'order', data: { sku: 'E', quantity: 1 } })
    ).json()) as { statusUrl: string };
    const res = await fetch(`${bed.gw.url}${again.statusUrl}`, {
      headers: { authorization: `Bearer ${alpha}`, prefer: 'wait=1' },
    });
    expect(res.headers.get('preference-applied')).toBe('wait=1');
    await res.arrayBuffer();
    await bed.server.publishState({
      processId: betaProcess.processId,
      tenantId: 'beta',
      processType: 'order',
      status: 'completed',
      version: 1,
      createdAt: betaProcess.createdAt,
      updatedAt: new Date().toISOString(),
    });
    const betaAnswer = await betaPoll;
    expect(betaAnswer.headers.get('preference-applied')).toBe('wait=30');
    expect(await betaAnswer.json()).toMatchObject({ status: 'completed' });
    expect(slots.held('beta')).toBe(0);
  });
});
