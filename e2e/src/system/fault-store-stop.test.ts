/**
 * Fault: the MongoDB-wire store (mongo-java-server) stops for 20 s under load. The gateway keeps
 * accepting (it never talks to MongoDB), workers pause and resume, and every accepted
 * process ends exactly once.
 */
import { type PrivateService, privateService, eventually } from '@stargate/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';
import { cachedToken, cleanLedger, exampleConfig, ledger, orderData, startLoad } from '../support/system.js';

let store: PrivateService;
let stack: Stack;

beforeAll(async () => {
  store = await privateService('mongo');
  stack = await startStack({
    ...(await exampleConfig({ raiseLimits: true })),
    gateways: 1,
    workers: 2,
    mongoUrl: store.url,
  });
}, 300_000);

afterAll(async () => {
  await stack?.close();
  await store?.close();
}, 120_000);

it('the store is down for 20 s under load: submissions go on, nothing lost or duplicated', async () => {
  const token = cachedToken(() => stack.token('globex'));
  await token();
  // globex may only place orders.
  const items = Array.from({ length: 70 }, (_, i) => ({
    processType: 'order' as const,
    ref: `M-${i}`,
    data: orderData(`M-${i}`, 1, { delayMs: 100 }),
  }));
  const load = startLoad(() => stack.gatewayUrls, token, items, { concurrency: 4 });
  await eventually(() => load.acceptedCount() >= 20, 60_000, 50);
  await store.stop();
  const acceptedAtStop = load.acceptedCount();
  // The outage lasts 20 s of wall time; submissions keep being accepted meanwhile.
  await new Promise((r) => setTimeout(r, 20_000));
  expect(load.acceptedCount()).toBeGreaterThan(acceptedAtStop);
  await store.start();
  await load.submitted;
  await load.finish(180_000);

  const report = await ledger(stack.mongo, load.accepted);
  expect(report).toEqual(cleanLedger(report));
  expect(report.byStatus, report.failedDetails.slice(0, 5).join('; ')).toEqual({ completed: 70 });
}, 400_000);
