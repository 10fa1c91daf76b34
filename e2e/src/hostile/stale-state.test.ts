/**
 * Issue 16, Medium 5 (remainder): a process whose later state events were lost (a Redis
 * outage, a dead-lettered event) must not be served stale until its Redis state expires a day
 * later. A non-terminal state that has not changed for the re-check interval is checked with
 * the server's store once, and the store's answer replaces it, in Redis too.
 */
import { serviceEnv } from '@stargate/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderData } from '../support/system.js';
import { type HostileGateway, startHostileGateway } from './support.js';

const RECHECK_MS = 2500;

let gw: HostileGateway;
let acme: string;
let redis: Redis;

beforeAll(async () => {
  gw = await startHostileGateway({ stateRecheckAfterMs: RECHECK_MS });
  acme = await gw.token('acme');
  redis = new Redis(serviceEnv().redisUrl);
});

afterAll(async () => {
  redis?.disconnect();
  await gw?.close();
});

const api = (path: string) => `${gw.url}/api/stargate${path}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function status(id: string): Promise<string | undefined> {
  const res = await fetch(api(`/processes/${id}`), { headers: { authorization: `Bearer ${acme}` } });
  return ((await res.json()) as { status?: string }).status;
}

async function completedProcess(ref: string): Promise<string> {
  const res = await fetch(api('/processes'), {
    method: 'POST',
    headers: { authorization: `Bearer ${acme}`, 'content-type': 'application/json' },
    body: JSON.stringify({ processType: 'order', clientProcessId: ref, data: orderData(ref) }),
  });
  expect(res.status).toBe(202);
  const id = ((await res.json()) as { processId: string }).processId;
  const deadline = Date.now() + 20_000;
  while ((await status(id)) !== 'completed') {
    if (Date.now() > deadline) throw new Error(`${id} did not complete`);
    await sleep(100);
  }
  return id;
}

async function stateKey(id: string): Promise<string> {
  const [key] = await redis.keys(`${gw.redisPrefix}*:process:${id}`);
  if (!key) throw new Error(`no Redis state for ${id}`);
  return key;
}

/** Puts back an earlier `processing` state, as if the events after it had never arrived. */
async function loseLaterEvents(id: string, updatedAt: Date): Promise<void> {
  const key = await stateKey(id);
  const final = JSON.parse((await redis.hget(key, 'd')) as string) as Record<string, unknown>;
  const { result: _r, completedAt: _c, ...earlier } = final;
  const processing = { ...earlier, status: 'processing', version: 1, updatedAt: updatedAt.toISOString() };
  await redis.hset(key, 'v', 1, 'd', JSON.stringify(processing));
}

async function refreshedCount(): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const m = /^gateway_state_rechecks_total\{result="refreshed"\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

describe('a non-terminal state whose later events were lost', () => {
  it('is served from Redis while young, then re-checked once and shown as the store has it', async () => {
    const id = await completedProcess('PO-STALE-1');
    await loseLaterEvents(id, new Date());
    const before = await refreshedCount();
    expect(await status(id)).toBe('processing');

    await sleep(RECHECK_MS + 100);
    expect(await status(id)).toBe('completed');
    // Redis holds the store's state again: every gateway now serves it without asking.
    const key = await stateKey(id);
    expect(JSON.parse((await redis.hget(key, 'd')) as string)).toMatchObject({ status: 'completed' });
    expect(await refreshedCount()).toBe(before + 1);

    // Bounded: within the interval the same process is not re-checked again.
    await loseLaterEvents(id, new Date(Date.now() - 60_000));
    expect(await status(id)).toBe('processing');
    expect(await refreshedCount()).toBe(before + 1);
    await sleep(RECHECK_MS + 100);
    expect(await status(id)).toBe('completed');
    expect(await refreshedCount()).toBe(before + 2);
  });

  it('asks the server once for many concurrent reads of one stale process', async () => {
    const id = await completedProcess('PO-STALE-2');
    await loseLaterEvents(id, new Date(Date.now() - 60_000));
    const before = await refreshedCount();
    const answers = await Promise.all(Array.from({ length: 20 }, () => status(id)));
    expect(answers.filter((s) => s === 'completed').length, answers.join(',')).toBeGreaterThan(0);
    expect(await refreshedCount()).toBe(before + 1);
    expect(await status(id)).toBe('completed');
  });
});
