/**
 * The audit trail survives a drain: the gateway batches its audit records, and a SIGTERM
 * right after the last answer still delivers every request's record to the server, which
 * stores it in audit_log (status reads folded into access records that keep each request id).
 */
import { randomUUID } from 'node:crypto';
import { eventually } from '@stargate/testkit';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';
import { exampleConfig, orderData } from '../support/system.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ ...(await exampleConfig({ raiseLimits: true })), gateways: 1, workers: 1 });
});

afterAll(async () => {
  await stack?.close();
});

it('every request answered before a SIGTERM has its audit record stored', async () => {
  const url = stack.gatewayUrls[0] ?? '';
  const token = await stack.token('acme');
  const sent: { id: string; kind: string }[] = [];
  const call = async (kind: string, path: string, init: RequestInit = {}) => {
    const id = `audit-drain-${randomUUID()}`;
    sent.push({ id, kind });
    const res = await fetch(`${url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'x-correlation-id': id, ...init.headers },
    });
    await res.arrayBuffer();
    return res;
  };
  const accepted = await call('submit', '/api/stargate/processes', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      processType: 'order',
      clientProcessId: 'audit-drain',
      data: orderData('audit-drain', 1),
    }),
  });
  expect(accepted.status).toBe(202);
  const id = new URL(accepted.headers.get('location') ?? '').pathname.split('/').pop();
  // Many reads at once (folded into access records), a miss and a refusal among them.
  await Promise.all(Array.from({ length: 60 }, () => call('status', `/api/stargate/processes/${id}`)));
  expect((await call('missing', '/api/stargate/processes/no-such-process')).status).toBe(404);
  expect((await call('refused', '/api/stargate/processes', { method: 'POST', body: 'x' })).status).toBe(415);

  const gateway = stack.gateways[0];
  if (!gateway) throw new Error('no gateway');
  expect(await gateway.kill('SIGTERM')).toBe(0);

  const client = new MongoClient(stack.mongo.url);
  try {
    const audit = client.db(stack.mongo.dbName).collection('audit_log');
    const ids = sent.map((s) => s.id);
    const storedIds = async () => {
      const docs = await audit
        .find({ $or: [{ correlationId: { $in: ids } }, { correlationIds: { $in: ids } }] })
        .toArray();
      return new Set(
        docs.flatMap((d) => [d.correlationId as string, ...((d.correlationIds as string[]) ?? [])]),
      );
    };
    await eventually(async () => (await storedIds()).size === ids.length, 30_000);
    const stored = await storedIds();
    expect(ids.filter((i) => !stored.has(i))).toEqual([]);
    // 60 reads became far fewer documents, each naming how many requests it stands for.
    const access = await audit.find({ action: 'status', processId: id, outcome: 'success' }).toArray();
    expect(access.reduce((n, d) => n + ((d.count as number) ?? 1), 0)).toBe(60);
    expect(access.length).toBeLessThan(60);
  } finally {
    await client.close();
  }
});
