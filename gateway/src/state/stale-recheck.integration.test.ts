import type { ProcessStateData } from '@stargate/contracts';
import { serviceEnv } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../index.js';
import { accessToken, startTestBed, type TestBed, testConfig } from '../testing/fixtures.js';
import { RECHECK_DEADLINE_MS } from './stale-recheck.js';

/*
 * The stale-state re-check, bounded: with two gateways and many concurrent reads the server is
 * asked once per process per interval; with a server that does not answer, a read waits out the
 * short deadline once and later reads get the cached state at once. The case with a real
 * server's store is e2e/src/hostile/stale-state.test.ts.
 */

const RECHECK_MS = 3000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

function stale(processId: string): ProcessStateData {
  return {
    processId,
    tenantId: 'alpha',
    processType: 'order',
    status: 'processing',
    version: 2,
    createdAt: ago(120_000),
    updatedAt: ago(60_000),
  };
}

async function timedStatus(url: string, token: string, id: string) {
  const started = performance.now();
  const res = await fetch(`${url}/api/stargate/processes/${id}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as { status?: string };
  return { ms: performance.now() - started, code: res.status, status: body.status };
}

describe('stale state re-check across gateways', () => {
  let bed: TestBed;
  let second: RunningGateway;
  let token: string;

  beforeAll(async () => {
    bed = await startTestBed({ stateRecheckAfterMs: RECHECK_MS });
    // A second gateway of the same installation (Redis, broker, keys, issuer): the gate is shared.
    second = await startGateway({
      signingKeys: bed.gw.gateway.context.signingKeys(),
      issuer: bed.gw.gateway.context.issuer,
      config: testConfig(),
      redisUrl: serviceEnv().redisUrl,
      amqpUrl: bed.vhost.url,
      redisPrefix: bed.prefix,
      stateRecheckAfterMs: RECHECK_MS,
    });
    token = await accessToken(bed.gw.url, 'alpha');
  });

  afterAll(async () => {
    await second?.close();
    await bed?.close();
  });

  it('asks the server once for concurrent reads on two gateways, and again only after the interval', async () => {
    const id = 'p-stale-shared';
    await bed.gw.gateway.context.stateStore.writeIfNewer(stale(id));
    // What the store holds: the process finished, but its events never reached Redis.
    bed.server.processes.set(id, { ...stale(id), status: 'completed', version: 5, updatedAt: ago(30_000) });
    const asked = () =>
      bed.server.rpcCalls.filter((c) => c.kind === 'get-process' && c.processId === id).length;

    const reads = await Promise.all(
      [bed.gw.url, second.url].flatMap((url) =>
        Array.from({ length: 10 }, () => timedStatus(url, token, id)),
      ),
    );
    expect(reads.map((r) => r.code).join(',')).toBe(reads.map(() => 200).join(','));
    expect(asked()).toBe(1);
    // Redis holds the store's state now, for every gateway.
    expect((await timedStatus(second.url, token, id)).status).toBe('completed');
    expect((await bed.gw.gateway.context.stateStore.get('alpha', id))?.status).toBe('completed');

    // The same process going stale again within the interval is not asked about again...
    await bed.gw.gateway.context.redis.del(bed.gw.gateway.context.stateStore.keyOf('alpha', id));
    await bed.gw.gateway.context.stateStore.writeIfNewer(stale(id));
    expect((await timedStatus(bed.gw.url, token, id)).status).toBe('processing');
    expect(asked()).toBe(1);
    // ...but after it.
    await new Promise((r) => setTimeout(r, RECHECK_MS + 100));
    expect((await timedStatus(bed.gw.url, token, id)).status).toBe('completed');
    expect(asked()).toBe(2);
  });
});

describe('stale state re-check with a server that does not answer', () => {
  let bed: TestBed;
  let token: string;

  beforeAll(async () => {
    bed = await startTestBed({ answerRpc: false, stateRecheckAfterMs: RECHECK_MS });
    token = await accessToken(bed.gw.url, 'alpha');
  });

  afterAll(async () => {
    await bed?.close();
  });

  it('serves the cached state after the deadline once, then at once', async () => {
    await bed.gw.gateway.context.stateStore.writeIfNewer(stale('p-stale-unanswered'));
    const first = await timedStatus(bed.gw.url, token, 'p-stale-unanswered');
    expect(first.code).toBe(200);
    expect(first.status).toBe('processing');
    expect(first.ms).toBeGreaterThanOrEqual(RECHECK_DEADLINE_MS - 50);
    expect(first.ms).toBeLessThan(RECHECK_DEADLINE_MS + 1500);

    const second = await timedStatus(bed.gw.url, token, 'p-stale-unanswered');
    expect(second.status).toBe('processing');
    expect(second.ms).toBeLessThan(RECHECK_DEADLINE_MS / 2);

    const metrics = await (await fetch(`${bed.gw.url}/metrics`)).text();
    expect(metrics).toMatch(/^gateway_state_rechecks_total\{result="failed"\} 1$/m);
  });
});
