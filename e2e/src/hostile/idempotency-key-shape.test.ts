/**
 * An idempotency key shaped like a process id. The server keeps keys and the ids of processes
 * submitted without one in a single unique index; process ids are predictable (PROC-day-sequence),
 * so a key naming the next one made that later submission, accepted with 202, fail as
 * DUPLICATE_IDEMPOTENCY_KEY. Such keys are refused up front.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { orderData } from '../support/system.js';
import { type HostileGateway, raw, startHostileGateway } from './support.js';

let gw: HostileGateway;
let acme: string;

beforeAll(async () => {
  gw = await startHostileGateway();
  acme = await gw.token('acme');
});

afterAll(async () => {
  await gw?.close();
});

function submit(ref: string, idempotencyKey?: string) {
  return raw(gw.url, {
    method: 'POST',
    path: '/api/stargate/processes',
    headers: {
      authorization: `Bearer ${acme}`,
      'content-type': 'application/json',
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    body: JSON.stringify({ processType: 'order', clientProcessId: ref, data: orderData(ref) }),
  });
}

it('a key naming a coming process id is refused, and that process, once submitted, completes', async () => {
  const first = JSON.parse((await submit('first')).body) as { processId: string };
  const sequence = Number(first.processId.slice(-5));
  // Had the keyed submission been accepted, it would have taken sequence + 1 itself.
  const next = `${first.processId.slice(0, -5)}${String(sequence + 2).padStart(5, '0')}`;

  const keyed = await submit('keyed', next);
  expect(keyed.status, keyed.body).toBe(400);
  expect(JSON.parse(keyed.body)).toMatchObject({ error: 'INVALID_REQUEST' });
  // In the body too.
  const inBody = await raw(gw.url, {
    method: 'POST',
    path: '/api/stargate/processes',
    headers: { authorization: `Bearer ${acme}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      processType: 'order',
      clientProcessId: 'b',
      idempotencyKey: next,
      data: orderData('b'),
    }),
  });
  expect(inBody.status).toBe(400);

  // The next two submissions without a key: one of them gets the id the key named.
  for (const ref of ['victim-1', 'victim-2']) {
    const victim = await submit(ref);
    expect(victim.status).toBe(202);
    const { processId } = JSON.parse(victim.body) as { processId: string };
    let state: { status: string; error?: { code: string } } = { status: 'accepted' };
    for (let i = 0; i < 20 && !['completed', 'failed'].includes(state.status); i++) {
      const res = await raw(gw.url, {
        path: `/api/stargate/processes/${processId}`,
        headers: { authorization: `Bearer ${acme}`, prefer: 'wait=5' },
      });
      state = JSON.parse(res.body) as typeof state;
    }
    expect(state.error?.code, processId).toBeUndefined();
    expect(state.status).toBe('completed');
  }
}, 120_000);
