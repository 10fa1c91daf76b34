import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessToken, startTestBed, type TestBed } from '../testing/fixtures.js';
import { RECHECK_DEADLINE_MS } from './stale-recheck.js';

/*
 * The stale-state re-check must never hold a read for long: with a server that does not
 * answer, the first read of a stale state waits out the short deadline once and then gets the
 * cached state; the next reads get it at once (the breaker is open). The positive case, a real
 * server's store answering, is e2e/src/hostile/stale-state.test.ts.
 */
let bed: TestBed;
let token: string;

beforeAll(async () => {
  bed = await startTestBed({ answerRpc: false, stateRecheckAfterMs: 500 });
  token = await accessToken(bed.gw.url, 'alpha');
});

afterAll(async () => {
  await bed?.close();
});

async function timedStatus(id: string): Promise<{ ms: number; status: number; body: { status?: string } }> {
  const started = performance.now();
  const res = await fetch(`${bed.gw.url}/api/stargate/processes/${id}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as { status?: string };
  return { ms: performance.now() - started, status: res.status, body };
}

describe('stale state re-check with a server that does not answer', () => {
  it('serves the cached state after the deadline once, then at once', async () => {
    const old = new Date(Date.now() - 60_000).toISOString();
    await bed.gw.gateway.context.stateStore.writeIfNewer({
      processId: 'p-stale-unanswered',
      tenantId: 'alpha',
      processType: 'order',
      status: 'processing',
      version: 2,
      createdAt: old,
      updatedAt: old,
    });
    const first = await timedStatus('p-stale-unanswered');
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('processing');
    expect(first.ms).toBeGreaterThanOrEqual(RECHECK_DEADLINE_MS - 50);
    expect(first.ms).toBeLessThan(RECHECK_DEADLINE_MS + 1500);

    const second = await timedStatus('p-stale-unanswered');
    expect(second.body.status).toBe('processing');
    expect(second.ms).toBeLessThan(RECHECK_DEADLINE_MS / 2);

    const metrics = await (await fetch(`${bed.gw.url}/metrics`)).text();
    expect(metrics).toMatch(/^gateway_state_rechecks_total\{result="failed"\} 1$/m);
  });
});
