/**
 * Fault: RabbitMQ (the only link between the zones) stops and restarts. While it is down
 * the gateway refuses with 503 (nothing accepted that is not durably queued); clients resend
 * with the same idempotency key; afterwards every accepted process ends exactly once.
 */
import { type PrivateService, eventually, privateService } from '@stargate/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';
import {
  cachedToken,
  cleanLedger,
  exampleConfig,
  http,
  ledger,
  loadItems,
  orderData,
  startLoad,
  submit,
  waitTerminal,
} from '../support/system.js';

let rabbit: PrivateService;
let stack: Stack;

beforeAll(async () => {
  rabbit = await privateService('rabbitmq');
  stack = await startStack({
    ...(await exampleConfig({ raiseLimits: true })),
    gateways: 1,
    workers: 2,
    amqpBaseUrl: rabbit.url,
  });
}, 300_000);

afterAll(async () => {
  await stack?.close();
  await rabbit?.close();
}, 120_000);

it('RabbitMQ down: submissions refused with 503 + Retry-After, reads still served; after the restart everything completes', async () => {
  // globex (orders only); the under-load test below uses acme, so each ledger sees its own.
  const token = cachedToken(() => stack.token('globex'));
  const url = () => stack.gatewayUrls;
  const items = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      processType: 'order' as const,
      ref: `${prefix}-${i}`,
      data: orderData(`${prefix}-${i}`),
    }));
  const before = startLoad(url, token, items('QB', 20));
  await before.finish();
  const [doneId] = [...before.accepted.keys()];

  await rabbit.stop();
  // Nothing is accepted that is not durably queued. A probe accepted in the instant before the
  // broker went away is a real process and joins the ledger.
  const probes = new Map<string, string | undefined>();
  const refused = await eventually(
    async () => {
      const r = await submit(url()[0] ?? '', await token(), 'order', orderData('probe'));
      expect([202, 503]).toContain(r.status);
      if (r.status === 202) probes.set(r.body.processId, undefined);
      return r.status === 503 ? r : undefined;
    },
    30_000,
    200,
  );
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(refused.body).toMatchObject({ error: 'SERVICE_UNAVAILABLE' });
  // A finished process is still readable from the gateway's cache.
  const read = await http<{ status: string }>(`${url()[0]}/api/stargate/processes/${doneId}`, {
    token: await token(),
  });
  expect(read.status).toBe(200);
  expect(read.body.status).toBe('completed');
  // Submissions made during the outage are resent (same key) until the broker is back.
  const during = startLoad(url, token, items('QD', 10), { concurrency: 2, deadlineMs: 240_000 });
  await rabbit.start();
  await during.finish(180_000);
  expect(during.retriedAnswers['503'] ?? 0).toBeGreaterThan(0);

  for (const id of probes.keys()) probes.set(id, (await waitTerminal(url(), await token(), id)).status);
  const all = new Map([...before.accepted, ...during.accepted, ...probes]);
  const report = await ledger(stack.mongo, all, { tenantIds: ['globex'] });
  expect(report).toEqual(cleanLedger(report));
  expect(report.byStatus, report.failedDetails.join('; ')).toEqual({ completed: 30 + probes.size });
}, 400_000);

// Runs in `make e2e` (STARGATE_E2E_RABBIT_UNDER_LOAD=1), not in `make test`. It found three
// bugs, all fixed: a handler's progress during the outage failed the process; a resend after a
// lost publish confirm created a second process; and a second delivery of one process (after
// the restart) could record a second terminal state over the first. It is kept out of the gate
// CI runs until it has a longer clean record than the handful of runs since the last fix.
it.skipIf(!process.env.STARGATE_E2E_RABBIT_UNDER_LOAD)(
  'RabbitMQ restarts under load: no process lost or duplicated',
  async () => {
    const token = cachedToken(() => stack.token('acme'));
    await token();
    const load = startLoad(() => stack.gatewayUrls, token, loadItems(150, 'Q', { delayMs: 100 }), {
      concurrency: 6,
      deadlineMs: 240_000,
    });
    await eventually(() => load.acceptedCount() >= 50, 60_000, 50);
    await rabbit.stop();
    await rabbit.start();
    await load.submitted;
    await load.finish(180_000);
    // The outage was seen by the clients (refusals they resent), not hidden by an accept.
    expect(Object.keys(load.retriedAnswers).length).toBeGreaterThan(0);

    const report = await ledger(stack.mongo, load.accepted, { tenantIds: ['acme'] });
    expect(report).toEqual(cleanLedger(report));
    expect(report.byStatus, report.failedDetails.slice(0, 5).join('; ')).toEqual({ completed: 150 });
  },
  400_000,
);
