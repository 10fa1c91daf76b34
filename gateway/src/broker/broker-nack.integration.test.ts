import { createVhost, type Vhost } from '@stargate/testkit';
import { connect } from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BrokerUnavailableError } from '../http/errors.js';
import { createLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { CHANNEL_RENEW_MIN_MS, createBroker } from './broker.js';

// A nacked publish is sent once more on a fresh channel (RabbitMQ 3.10's per-channel quorum
// queue client can stay pointed at a dead leader: testkit's cluster test shows it); a broker
// that refuses again is answered with BrokerUnavailableError (503), quickly, and the channel is
// replaced at most every CHANNEL_RENEW_MIN_MS however many publishes it refuses.
let vhost: Vhost;
beforeAll(async () => {
  vhost = await createVhost('gw-nack');
  const c = await connect(vhost.url);
  const ch = await c.createChannel();
  await ch.assertExchange('x', 'direct', { durable: true });
  // Always full: every publish routed here is nacked (a classic queue enforces a zero bound
  // exactly; a quorum queue takes the first message).
  await ch.assertQueue('full', {
    durable: true,
    arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' },
  });
  await ch.bindQueue('full', 'x', 'full');
  await ch.assertQueue('room', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.bindQueue('room', 'x', 'room');
  await c.close();
});
afterAll(async () => {
  await vhost?.close();
});

it('sends a nacked publish once more on a fresh channel, then refuses it; refusals at once share one fresh channel', async () => {
  const metrics = createMetrics();
  const broker = createBroker({ url: vhost.url, logger: createLogger({ level: 'silent' }), metrics });
  await broker.start();
  try {
    const renewals = async () =>
      (await metrics.registry.getSingleMetric('gateway_publish_channel_renewals_total')?.get())?.values[0]
        ?.value ?? 0;
    const publish = (key: string, id: string) =>
      broker.publish('x', key, { id }, { messageId: id, type: 't', headers: {} });

    const started = Date.now();
    await expect(publish('full', 'a')).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(Date.now() - started).toBeLessThan(CHANNEL_RENEW_MIN_MS + 2000);
    expect(await renewals()).toBe(1);
    await publish('room', 'b');
    // Many refused at once share one replacement.
    const burst = await Promise.allSettled(['c1', 'c2', 'c3', 'c4', 'c5'].map((id) => publish('full', id)));
    expect(burst.map((r) => r.status)).toEqual(Array(5).fill('rejected'));
    expect(await renewals()).toBe(2);
    await publish('room', 'd');
    const c = await connect(vhost.url);
    expect((await (await c.createChannel()).checkQueue('room')).messageCount).toBe(2);
    await c.close();
  } finally {
    await broker.close();
  }
});
