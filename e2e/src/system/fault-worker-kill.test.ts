/**
 * Fault: a server worker is SIGKILLed while its handlers run, and restarted. Every accepted
 * process still ends exactly once (ledger check): the broker redelivers what the dead worker
 * held, the survivor and the restarted worker finish it, nothing is duplicated.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';
import { cachedToken, cleanLedger, exampleConfig, ledger, loadItems, startLoad } from '../support/system.js';
import { eventually } from '@stargate/testkit';
import { MongoClient } from 'mongodb';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ ...(await exampleConfig({ raiseLimits: true })), gateways: 1, workers: 2 });
});

afterAll(async () => {
  await stack?.close();
});

async function processingCount(): Promise<number> {
  const m = new MongoClient(stack.mongo.url);
  try {
    return await m.db(stack.mongo.dbName).collection('processes').countDocuments({ status: 'processing' });
  } finally {
    await m.close();
  }
}

it('SIGKILL of a worker mid-handler, then a restart: every process ends exactly once', async () => {
  const token = cachedToken(() => stack.token('acme'));
  // Three 400 ms steps per handler, so the kill lands inside running handlers.
  const load = startLoad(() => stack.gatewayUrls, token, loadItems(80, 'K', { delayMs: 400 }));
  // Wait until handlers are running on both workers, then kill one without warning.
  await eventually(async () => (await processingCount()) >= 6, 60_000, 100);
  const victim = stack.workers[0];
  if (!victim) throw new Error('no worker');
  expect(await victim.kill('SIGKILL')).toBe('SIGKILL');
  // Let the survivor carry the load for a while, then bring a replacement.
  await eventually(() => load.acceptedCount() >= 50, 60_000, 100);
  await stack.startWorker();
  await load.submitted;
  await load.finish();

  const report = await ledger(stack.mongo, load.accepted);
  expect(report).toEqual(cleanLedger(report));
  expect(report.byStatus, report.failedDetails.slice(0, 5).join('; ')).toEqual({ completed: 80 });
}, 300_000);
