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
// Submissions before the store stops, and more while it is down.
const BEFORE = 70;
const DURING = 40;
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
  const batch = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      processType: 'order' as const,
      ref: `M-${from + i}`,
      data: orderData(`M-${from + i}`, 1, { delayMs: 100 }),
    }));
  // Some work in flight when the store stops …
  const before = startLoad(() => stack.gatewayUrls, token, batch(0, BEFORE), { concurrency: 4 });
  await eventually(() => before.acceptedCount() >= 20, 60_000, 50);
  await store.stop();
  const stoppedAt = Date.now();
  // … and new submissions while it is down: the gateway accepts them all the same.
  const during = startLoad(() => stack.gatewayUrls, token, batch(BEFORE, DURING), { concurrency: 4 });
  await during.submitted;
  expect(during.acceptedCount()).toBe(DURING);
  expect(Date.now() - stoppedAt).toBeLessThan(20_000);
  // The outage lasts 20 s of wall time.
  await new Promise((r) => setTimeout(r, Math.max(0, 20_000 - (Date.now() - stoppedAt))));
  await store.start();
  await before.finish(180_000);
  await during.finish(180_000);

  const accepted = new Map([...before.accepted, ...during.accepted]);
  const report = await ledger(stack.mongo, accepted);
  expect(report).toEqual(cleanLedger(report));
  expect(report.byStatus, report.failedDetails.slice(0, 5).join('; ')).toEqual({
    completed: BEFORE + DURING,
  });
}, 400_000);
