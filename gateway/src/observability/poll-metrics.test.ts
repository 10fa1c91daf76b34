import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import type { ProcessStateData } from '@stargate/contracts';
import { eventually } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessToken, startTestBed, type TestBed } from '../testing/fixtures.js';

/** The value of one series of the gateway's registry (0 when absent). */
async function value(bed: TestBed, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = bed.gw.gateway.context.metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const match = values.find(
    (v) =>
      ('metricName' in v ? v.metricName === name || !v.metricName : true) &&
      Object.entries(labels).every(([k, l]) => String((v.labels as Record<string, unknown>)[k]) === l),
  );
  return match?.value ?? 0;
}

function state(id: string, patch: Partial<ProcessStateData>): ProcessStateData {
  const now = new Date().toISOString();
  return {
    processId: id,
    tenantId: 'alpha',
    processType: 'order',
    status: 'processing',
    version: 2,
    createdAt: now,
    updatedAt: now,
    ...patch,
  };
}

describe('gateway metrics of polling, results and connections', () => {
  let bed: TestBed;
  let token: string;
  const get = (id: string, headers: Record<string, string> = {}) =>
    fetch(`${bed.gw.url}/api/stargate/processes/${id}`, {
      headers: { authorization: `Bearer ${token}`, ...headers },
    });

  beforeAll(async () => {
    // The stand-in server does not answer queries: a process not in Redis is a failed poll.
    bed = await startTestBed({ answerRpc: false, rpcDeadlineMs: 150 });
    token = await accessToken(bed.gw.url, 'alpha');
  });
  afterAll(async () => bed?.close());

  it('follows the failure streak of one process and drops it once a poll is answered', async () => {
    const id = randomUUID();
    for (let i = 1; i <= 4; i++) {
      const res = await get(id);
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(await value(bed, 'gateway_poll_consecutive_failures', { tenant: 'alpha', process_id: id })).toBe(
        i,
      );
    }
    expect(
      await value(bed, 'gateway_polls_total', { tenant: 'alpha', kind: 'status', result: 'failed' }),
    ).toBe(4);

    await bed.server.publishState(state(id, {}));
    await eventually(async () => ((await get(id)).status === 200 ? true : undefined));
    const series = await bed.gw.gateway.context.metrics.pollConsecutiveFailures.get();
    expect(series.values.filter((v) => v.labels.process_id === id)).toEqual([]);
    expect(
      await value(bed, 'gateway_polls_total', { tenant: 'alpha', kind: 'status', result: 'answered' }),
    ).toBeGreaterThan(0);
  });

  it('counts a poll that comes sooner than half the Retry-After it was given', async () => {
    const id = randomUUID();
    await bed.server.publishState(state(id, {}));
    const first = await eventually(async () => {
      const res = await get(id);
      return res.status === 200 ? res : undefined;
    });
    // testConfig: 2 s between polls in the fast phase.
    expect(first.headers.get('retry-after')).toBe('2');
    const before = await value(bed, 'gateway_polls_early_total', { tenant: 'alpha' });
    expect((await get(id)).status).toBe(200);
    expect(await value(bed, 'gateway_polls_early_total', { tenant: 'alpha' })).toBe(before + 1);
  });

  it('counts an expired long-poll apart, and keeps it out of the request latency', async () => {
    const id = randomUUID();
    await bed.server.publishState(state(id, {}));
    await eventually(async () => ((await get(id)).status === 200 ? true : undefined));
    const latencyBefore = await value(bed, 'gateway_request_duration_seconds', {
      route: '/api/stargate/processes/:id',
      tenant: 'alpha',
    });
    const res = await get(id, { prefer: 'wait=1' });
    expect(res.status).toBe(200);
    expect(
      await value(bed, 'gateway_polls_total', { tenant: 'alpha', kind: 'long_poll', result: 'expired' }),
    ).toBe(1);
    const held = bed.gw.gateway.context.metrics.longPollDuration;
    const { values } = await held.get();
    const count = values.find((v) => v.metricName === 'gateway_long_poll_duration_seconds_count');
    expect(count?.value).toBe(1);
    expect(
      await value(bed, 'gateway_request_duration_seconds', {
        route: '/api/stargate/processes/:id',
        tenant: 'alpha',
      }),
    ).toBe(latencyBefore);
  });

  it('measures the time to result, late results and failures by code from the projected states', async () => {
    const id = randomUUID();
    const created = new Date(Date.now() - 20 * 60_000).toISOString();
    await bed.server.publishState(
      state(id, {
        status: 'failed',
        version: 5,
        createdAt: created,
        completedAt: new Date().toISOString(),
        error: { code: 'OUT_OF_STOCK', message: 'none left', retryable: false },
      }),
    );
    await eventually(async () =>
      (await value(bed, 'gateway_process_failures_total', { type: 'order', code: 'OUT_OF_STOCK' })) === 1
        ? true
        : undefined,
    );
    // 20 minutes is later than the type's 600 s polling timeout.
    expect(await value(bed, 'gateway_polling_timeouts_total', { tenant: 'alpha', type: 'order' })).toBe(1);
    const { values } = await bed.gw.gateway.context.metrics.timeToResult.get();
    const within600 = values.find(
      (v) =>
        v.metricName === 'gateway_time_to_result_seconds_bucket' &&
        (v.labels as Record<string, unknown>).le === 600 &&
        v.labels.status === 'failed',
    );
    const beyond = values.find(
      (v) =>
        v.metricName === 'gateway_time_to_result_seconds_bucket' &&
        (v.labels as Record<string, unknown>).le === 1800 &&
        v.labels.status === 'failed',
    );
    expect([within600?.value, beyond?.value]).toEqual([0, 1]);
    expect(await value(bed, 'gateway_state_events_total', { type: 'order', status: 'failed' })).toBe(1);
  });

  it('counts open connections', async () => {
    const before = await value(bed, 'gateway_active_connections');
    const { port, hostname } = new URL(bed.gw.url);
    const socket = connect(Number(port), hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    await eventually(async () =>
      (await value(bed, 'gateway_active_connections')) === before + 1 ? true : undefined,
    );
    socket.destroy();
    await eventually(async () =>
      (await value(bed, 'gateway_active_connections')) === before ? true : undefined,
    );
  });

  it("exports Redis' memory from INFO at scrape time", async () => {
    const text = await (await fetch(`${bed.gw.url}/metrics`)).text();
    const used = Number(/^gateway_redis_used_memory_bytes (\d+)/m.exec(text)?.[1]);
    expect(used).toBeGreaterThan(0);
    expect(text).toMatch(/^gateway_redis_maxmemory_bytes \d+/m);
    expect(text).toMatch(/^gateway_redis_evicted_keys_total \d+/m);
  });
});
