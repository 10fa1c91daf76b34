/**
 * Fault: RabbitMQ (the only link between the zones) restarts under load. While it is down
 * the gateway refuses with 503 (nothing accepted that is not durably queued); clients resend
 * with the same idempotency key; afterwards every accepted process ends exactly once.
 */
import { type PrivateService, eventually, privateService } from '@stargate/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';
import { cachedToken, cleanLedger, exampleConfig, ledger, loadItems, startLoad } from '../support/system.js';

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

// KNOWN BUGS, skipped in `make test` until fixed (run with STARGATE_E2E_KNOWN_BUGS=1):
// 1. server: a handler's ctx.progress() while RabbitMQ is down throws ("RabbitMQ is not
//    connected" / "channel closed"); the runtime records it as HANDLER_ERROR (not retryable),
//    so every process in flight at the restart ends `failed` for good (about 20 of 150 here).
// 2. gateway: when a publish confirm is lost with the connection but the broker kept the
//    message, the gateway answers 503 and releases the idempotency key; the resend with the same
//    key gets a new processId, which the server fails as DUPLICATE_IDEMPOTENCY_KEY while the
//    first, unannounced process completes (ledger: "missing" + "unexpected"; intermittent).
it.skipIf(!process.env.STARGATE_E2E_KNOWN_BUGS)(
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

    const report = await ledger(stack.mongo, load.accepted);
    expect(report).toEqual(cleanLedger(report));
    expect(report.byStatus, report.failedDetails.slice(0, 5).join('; ')).toEqual({ completed: 150 });
  },
  400_000,
);
