/**
 * Issue 16, finding 8: an idempotency key whose Redis record expired or was lost must still be
 * bound to its payload. A resend with another payload is refused (422), never answered as if
 * it were the first request; a resend with the same payload still names the first process.
 */
import { serviceEnv } from '@stargate/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderData } from '../support/system.js';
import { type HostileGateway, startHostileGateway } from './support.js';

let gw: HostileGateway;
let acme: string;

beforeAll(async () => {
  gw = await startHostileGateway();
  acme = await gw.token('acme');
});

afterAll(async () => {
  await gw?.close();
});

const api = (path: string) => `${gw.url}/api/stargate${path}`;

async function submit(key: string, ref: string) {
  const res = await fetch(api('/processes'), {
    method: 'POST',
    headers: { authorization: `Bearer ${acme}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ processType: 'order', clientProcessId: ref, data: orderData(ref) }),
  });
  return { status: res.status, body: (await res.json()) as { processId?: string; error?: string } };
}

async function waitForStatus(processId: string, wanted: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(api(`/processes/${processId}`), { headers: { authorization: `Bearer ${acme}` } });
    const body = (await res.json()) as { status?: string };
    if (body.status === wanted) return body;
    if (Date.now() > deadline) throw new Error(`${processId} stayed ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What Redis expiry (24 h) or the loss of Redis data does to the gateway's records. */
async function loseRedisRecords(key: string, processId: string) {
  const redis = new Redis(serviceEnv().redisUrl);
  try {
    const found = await redis.keys(`${gw.redisPrefix}*:idem:${key}`);
    expect(found).toHaveLength(1);
    found.push(...(await redis.keys(`${gw.redisPrefix}*:process:${processId}`)));
    await redis.del(...found);
  } finally {
    redis.disconnect();
  }
}

describe('idempotency key after its Redis record is lost', () => {
  it('refuses another payload with 422 and keeps a same-payload resend on the first process', async () => {
    const key = `lost-${Date.now()}`;
    const first = await submit(key, 'PO-A');
    expect(first.status).toBe(202);
    const id = first.body.processId!;
    await waitForStatus(id, 'completed');

    await loseRedisRecords(key, id);
    const other = await submit(key, 'PO-B');
    expect(other.status, JSON.stringify(other.body)).toBe(422);
    expect(other.body.error).toBe('IDEMPOTENCY_KEY_REUSED');

    const resend = await submit(key, 'PO-A');
    expect(resend.status, JSON.stringify(resend.body)).toBe(202);
    expect(resend.body.processId).toBe(id);
    // Answered from the server's record: finished, not a fresh `accepted` (nor run again).
    const status = await fetch(api(`/processes/${id}`), { headers: { authorization: `Bearer ${acme}` } });
    expect(await status.json()).toMatchObject({ processId: id, status: 'completed' });

    // With Redis's records gone again, the refusal still holds.
    await loseRedisRecords(key, id);
    expect((await submit(key, 'PO-B')).status).toBe(422);
  });
});
