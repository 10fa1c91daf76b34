import { createVhost, redisPrefix, serviceEnv, type Vhost } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from './index.js';
import {
  accessToken,
  type FakeServer,
  getToken,
  startFakeServer,
  startTestBed,
  submit,
  testConfig,
} from './testing/fixtures.js';

describe('gateway: token, submit, status', () => {
  let vhost: Vhost;
  let server: FakeServer;
  let gw: RunningGateway;

  beforeAll(async () => {
    vhost = await createVhost('gw');
    server = await startFakeServer(vhost.url);
    gw = await startGateway({
      config: testConfig(),
      redisUrl: serviceEnv().redisUrl,
      amqpUrl: vhost.url,
      redisPrefix: redisPrefix('gw'),
    });
  });
  afterAll(async () => {
    await gw?.close();
    await server?.close();
    await vhost?.close();
  });

  it('issues a token, accepts a process only after the broker has it, and reports its state', async () => {
    const token = await accessToken(gw.url, 'alpha');
    const res = await submit(
      gw.url,
      token,
      { processType: 'order', clientProcessId: 'c-1', data: { sku: 'A', quantity: 2 } },
      {
        'x-correlation-id': 'corr-12345678',
        'tenant-id': 'beta',
      },
    );
    expect(res.status).toBe(202);
    const body = (await res.json()) as { processId: string; status: string; statusUrl: string };
    expect(body.status).toBe('accepted');
    expect(res.headers.get('location')).toBe(`${gw.url}${body.statusUrl}`);
    expect(body.statusUrl).toBe(`/api/stargate/processes/${body.processId}`);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('x-correlation-id')).toBe('corr-12345678');
    expect(res.headers.get('ratelimit-policy')).toContain('"tenant";q=6000;w=60');

    const status = await fetch(`${gw.url}${body.statusUrl}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({
      processId: body.processId,
      status: 'accepted',
      clientProcessId: 'c-1',
    });

    // The server received it with the tenant from the token, not from the spoofed header.
    const { eventually } = await import('@stargate/testkit');
    const got = await eventually(() =>
      server.requests.find((r) => r.event.data.processId === body.processId),
    );
    expect(got.event.data.tenantId).toBe('alpha');
    expect(got.headers['tenant-id']).toBe('alpha');
    expect(got.headers['x-correlation-id']).toBe('corr-12345678');
    expect(String(got.headers.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);

    await server.publishState({
      processId: body.processId,
      tenantId: 'alpha',
      processType: 'order',
      status: 'completed',
      version: 3,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      result: { ok: true },
    });
    const done = await eventually(async () => {
      const r = await fetch(`${gw.url}${body.statusUrl}`, { headers: { authorization: `Bearer ${token}` } });
      const j = (await r.json()) as { status: string };
      return j.status === 'completed' ? { r, j } : undefined;
    });
    expect(done.r.headers.get('etag')).toBe('"v3"');
    expect(done.j).toMatchObject({ result: { ok: true }, version: 3 });
  });

  it('refuses bad client credentials with invalid_client', async () => {
    const { status, body } = await getToken(gw.url, 'alpha-client', 'wrong');
    expect(status).toBe(401);
    expect(body.error).toBe('invalid_client');
  });
});

describe('gateway: polling hints on status answers', () => {
  it('asks for the fast interval during the fast phase and the slow one after it', async () => {
    let now = Date.now();
    const bed = await startTestBed({ clock: { now: () => now } });
    try {
      const token = await accessToken(bed.gw.url, 'alpha');
      const res = await submit(bed.gw.url, token, { processType: 'order', data: { sku: 'A', quantity: 1 } });
      const { statusUrl } = (await res.json()) as { statusUrl: string };
      const read = () =>
        fetch(`${bed.gw.url}${statusUrl}`, { headers: { authorization: `Bearer ${token}` } });
      // testConfig: fast interval 2 s for the first 30 s, then 10 s.
      expect((await read()).headers.get('retry-after')).toBe('2');
      now += 31_000;
      expect((await read()).headers.get('retry-after')).toBe('10');
    } finally {
      await bed.close();
    }
  });
});

describe('gateway: server not answering', () => {
  it('answers a status read the server does not answer in time with 504 UPSTREAM_TIMEOUT', async () => {
    const bed = await startTestBed({ answerRpc: false, rpcDeadlineMs: 300 });
    try {
      const token = await accessToken(bed.gw.url, 'alpha');
      const res = await fetch(`${bed.gw.url}/api/stargate/processes/not-cached-anywhere`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(504);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({ error: 'UPSTREAM_TIMEOUT', retryAfter: 5 });
    } finally {
      await bed.close();
    }
  });
});
