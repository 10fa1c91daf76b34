/**
 * Fault: the client is cut off from the gateway for a while. The SDK queues submissions
 * locally (status `queued`), and when the gateway is back flushes them in the order they
 * were made; every one completes exactly once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ProcessHandle } from '@stargate/client-sdk';
import { eventually } from '@stargate/testkit';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';
import { cleanLedger, exampleConfig, ledger, orderData, orderTotal } from '../support/system.js';

let stack: Stack;
let dir: string;

beforeAll(async () => {
  stack = await startStack({ ...(await exampleConfig({ raiseLimits: true })), gateways: 1, workers: 1 });
  dir = await mkdtemp(join(tmpdir(), 'e2e-offline-'));
});

afterAll(async () => {
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('offline for a while, then back: the queue flushes in order and every process completes once', async () => {
  const cred = stack.credentials.find((c) => c.tenantId === 'globex');
  if (!cred) throw new Error('no globex');
  const client = createClient({
    baseUrl: stack.gatewayUrls[0] ?? '',
    clientId: cred.clientId,
    clientSecret: cred.clientSecret,
    databasePath: join(dir, 'client.db'),
    // Scaled down from 5 s so the test does not wait out the production backoff.
    backoff: { initialDelayMs: 300, maxRetries: 5, jitter: 0 },
  });
  const acceptedOrder: string[] = [];
  const events: string[] = [];
  client.on('accepted', (view) => acceptedOrder.push(view.clientProcessId ?? ''));
  client.on('offline', () => events.push('offline'));
  client.on('online', () => events.push('online'));
  try {
    // One submission while online, then the gateway goes away.
    const first = await client.submit('order', orderData('OFF-0'), { clientProcessId: 'OFF-0' });
    expect(first.status).toBe('accepted');
    const gateway = stack.gateways[0];
    if (!gateway) throw new Error('no gateway');
    expect(await gateway.kill('SIGTERM')).toBe(0);

    const handles: ProcessHandle[] = [first];
    for (let i = 1; i <= 12; i++) {
      const h = await client.submit('order', orderData(`OFF-${i}`, i), { clientProcessId: `OFF-${i}` });
      expect(h.status).toBe('queued');
      expect(h.processId).toBeUndefined();
      handles.push(h);
    }
    expect((await client.queue()).length).toBe(12);
    expect(events).toContain('offline');

    // Back on the same address: the queue flushes by itself.
    await stack.startGateway(0);
    await eventually(async () => (await client.queue()).length === 0, 90_000, 100);
    expect(events.at(-1)).toBe('online');
    expect(acceptedOrder).toEqual(Array.from({ length: 13 }, (_, i) => `OFF-${i}`));

    const seen = new Map<string, string | undefined>();
    for (const [i, h] of handles.entries()) {
      const done = await h.pollUntilDone({ signal: AbortSignal.timeout(90_000) });
      expect(done.result).toMatchObject({ orderId: `OFF-${i}`, totalAmount: orderTotal(i === 0 ? 2 : i) });
      seen.set(done.processId, done.status);
    }
    const report = await ledger(stack.mongo, seen);
    expect(report).toEqual(cleanLedger(report));
    expect(report.byStatus, report.failedDetails.slice(0, 5).join('; ')).toEqual({ completed: 13 });

    // The server received them in the order they were made.
    const m = new MongoClient(stack.mongo.url);
    try {
      const docs = await m
        .db(stack.mongo.dbName)
        .collection<{ clientProcessId: string; submittedAt: string }>('processes')
        .find({}, { projection: { clientProcessId: 1, submittedAt: 1 } })
        .toArray();
      const bySubmit = [...docs].sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));
      expect(bySubmit.map((d) => d.clientProcessId)).toEqual(acceptedOrder);
    } finally {
      await m.close();
    }
  } finally {
    await client.close();
  }
}, 300_000);
