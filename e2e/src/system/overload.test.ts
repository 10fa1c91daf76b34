/**
 * Overload: submissions arrive faster than the workers complete them. The type's work queue
 * is bounded (ProcessType spec.queue.maxLength): when it is full, RabbitMQ refuses the publish
 * and the gateway answers 503 + Retry-After; clients resend with the same idempotency key.
 * The queue stays within its maximum (plus the publishes in flight when it filled) and every
 * 202 ends in exactly one terminal state.
 */
import { processQueue } from '@stargate/contracts';
import { eventually } from '@stargate/testkit';
import { connect } from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';
import {
  cachedToken,
  cleanLedger,
  exampleConfig,
  ledger,
  orderData,
  startLoad,
  submit,
  waitTerminal,
} from '../support/system.js';

const MAX = 20;
let stack: Stack;

beforeAll(async () => {
  const cfg = await exampleConfig({ raiseLimits: true });
  for (const t of cfg.serverConfig.processTypes)
    if (t.name === 'order') Object.assign(t, { concurrency: 2, queue: { maxLength: MAX } });
  stack = await startStack({ ...cfg, gateways: 1, workers: 1 });
}, 300_000);

afterAll(async () => {
  await stack?.close();
}, 120_000);

it('sheds a 2x+ overload with 503 + Retry-After, keeps the queue bounded, and loses nothing', async () => {
  const token = cachedToken(() => stack.token('globex'));
  await token();
  const conn = await connect(stack.amqpUrl);
  const ch = await conn.createChannel();
  let maxDepth = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      maxDepth = Math.max(maxDepth, (await ch.checkQueue(processQueue('order'))).messageCount);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    const items = Array.from({ length: 200 }, (_, i) => ({
      processType: 'order' as const,
      ref: `OV-${i}`,
      data: orderData(`OV-${i}`, 1, { delayMs: 30 }),
    }));
    const load = startLoad(() => stack.gatewayUrls, token, items, { concurrency: 48 });
    // A client of its own sees the 503 and what it says.
    const url = stack.gatewayUrls[0] ?? '';
    let key = '';
    let tries = 0;
    const refused = await eventually(
      async () => {
        key = `probe-${tries++}`;
        const res = await submit(url, await token(), 'order', orderData(key, 1), {
          idempotencyKey: key,
          clientProcessId: key,
        });
        if (res.status === 202) load.accepted.set(res.body.processId, undefined);
        return res.status === 503 ? res : undefined;
      },
      60_000,
      10,
    );
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    await load.submitted;
    // The probe's submission is resent, the same request with the same key, until it is
    // accepted, like the SDK's outbox does (another payload under that key would be a 422).
    const probe = await eventually(async () => {
      const res = await submit(url, await token(), 'order', orderData(key, 1), {
        idempotencyKey: key,
        clientProcessId: key,
      });
      return res.status === 202 ? res.body.processId : undefined;
    }, 120_000);
    load.accepted.set(probe, undefined);
    await load.finish(180_000);
    // Every 202 (the load's and the probe's), followed to its end as a client sees it.
    load.accepted.set(probe, undefined);
    const seen = new Map<string, string | undefined>();
    for (const id of load.accepted.keys())
      seen.set(id, (await waitTerminal(stack.gatewayUrls, await token(), id, 60_000)).status);
    expect(load.retriedAnswers['503'] ?? 0).toBeGreaterThan(0);
    // A quorum queue tells publishing channels it is full asynchronously: it overshoots its
    // maximum by at most the publishes in flight at that moment (here the 48 + 1 clients).
    expect(maxDepth).toBeLessThanOrEqual(MAX + 49);
    const report = await ledger(stack.mongo, seen);
    expect(report).toEqual(cleanLedger(report));
    expect(report.byStatus).toEqual({ completed: 200 + tries });
  } finally {
    sampling = false;
    await sampler.catch(() => undefined);
    await conn.close();
  }
}, 400_000);
