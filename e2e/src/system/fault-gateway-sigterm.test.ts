/**
 * Fault: one of two gateways gets SIGTERM under load. It drains and exits 0; clients resend
 * (same idempotency key) to the other one, which keeps serving; every accepted process ends
 * exactly once and nobody got a second process for one submission.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';
import { cachedToken, cleanLedger, exampleConfig, ledger, loadItems, startLoad } from '../support/system.js';
import { eventually } from '@stargate/testkit';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ ...(await exampleConfig({ raiseLimits: true })), gateways: 2, workers: 1 });
});

afterAll(async () => {
  await stack?.close();
});

it('SIGTERM of one gateway under load: the other keeps serving, nothing lost or duplicated', async () => {
  const token = cachedToken(() => stack.token('acme'));
  await token();
  const [first, second] = stack.gatewayUrls;
  let alive = [first ?? '', second ?? ''];
  const load = startLoad(() => alive, token, loadItems(100, 'T'), { concurrency: 12 });
  await eventually(() => load.acceptedCount() >= 40, 60_000, 50);
  const victim = stack.gateways[0];
  if (!victim) throw new Error('no gateway');
  const exit = victim.kill('SIGTERM');
  expect(await exit).toBe(0);
  alive = [second ?? ''];
  await load.submitted;
  await load.finish();

  const report = await ledger(stack.mongo, load.accepted);
  expect(report).toEqual(cleanLedger(report));
  expect(report.byStatus, report.failedDetails.slice(0, 5).join('; ')).toEqual({ completed: 100 });
  // Nothing the stopped gateway did was a 5xx to a client that then got lost: any resend was
  // answered by the survivor (the counts are informative, the ledger is the proof).
  expect(Object.keys(load.retriedAnswers).every((k) => k === 'network' || k === '503')).toBe(true);
}, 300_000);
