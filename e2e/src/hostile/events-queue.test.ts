/**
 * The gateways' state event queue during a Redis outage (issue 16, Medium 5). On RabbitMQ 4 a
 * quorum queue without explicit limits drops a message after 20 deliveries; a projector that
 * requeued every event it could not write reached that in ~20 s of outage, and the stale state
 * was then served for a day. Now the queue's limit and dead-letter exchange are explicit, and
 * the projector stops consuming and holds its events (no redelivery) until Redis answers again.
 */
import { randomUUID } from 'node:crypto';
import {
  cloudEvent,
  EXCHANGES,
  eventRoutingKey,
  GATEWAY_EVENTS_DELIVERY_LIMIT,
  MESSAGE_TYPES,
  type ProcessStateData,
  QUEUES,
  redisKeys,
} from '@stargate/contracts';
import { type RunningGateway, startGateway } from '@stargate/gateway';
import {
  createVhost,
  eventually,
  type PrivateService,
  privateService,
  redisPrefix,
  serviceEnv,
  type Vhost,
} from '@stargate/testkit';
import { type ChannelModel, connect } from 'amqplib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exampleConfig } from '../support/system.js';

let redis: PrivateService;
let vhost: Vhost;
let gw: RunningGateway;
let amqp: ChannelModel;
const prefix = redisPrefix('events');

beforeAll(async () => {
  redis = await privateService('redis');
  vhost = await createVhost('events');
  gw = await startGateway({
    config: (await exampleConfig()).gatewayConfig,
    redisUrl: redis.url,
    redisPrefix: prefix,
    amqpUrl: vhost.url,
    logLevel: 'silent',
  });
  amqp = await connect(vhost.url);
});

afterAll(async () => {
  await amqp?.close().catch(() => undefined);
  await gw?.close();
  await vhost?.close().catch(() => undefined);
  await redis?.close();
});

interface QueueInfo {
  arguments: Record<string, unknown>;
  consumers: number;
  messages: number;
  messages_ready: number;
  message_stats?: { redeliver?: number };
}

async function queueInfo(): Promise<QueueInfo> {
  const base = new URL(serviceEnv().rabbitMgmtUrl);
  const auth = Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`);
  const res = await fetch(
    `${base.protocol}//${base.host}/api/queues/${encodeURIComponent(vhost.name)}/${QUEUES.gatewayEvents}`,
    { headers: { authorization: `Basic ${auth.toString('base64')}` } },
  );
  return (await res.json()) as QueueInfo;
}

async function publishState(processId: string, version: number): Promise<void> {
  const now = new Date();
  const data: ProcessStateData = {
    processId,
    tenantId: 'acme',
    processType: 'order',
    status: 'completed',
    version,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    statusUrl: `http://gw/api/stargate/processes/${processId}`,
  };
  const ch = await amqp.createConfirmChannel();
  const event = cloudEvent(
    {
      id: randomUUID(),
      source: 'test',
      type: MESSAGE_TYPES.processState,
      tenantId: 'acme',
      correlationId: randomUUID(),
      subject: processId,
    },
    data,
    now,
  );
  ch.publish(
    EXCHANGES.events,
    eventRoutingKey('acme', 'order', 'completed'),
    Buffer.from(JSON.stringify(event)),
    {
      persistent: true,
      contentType: 'application/json',
    },
  );
  await ch.waitForConfirms();
  await ch.close();
}

it('the queue declares its delivery limit and dead-letter exchange', async () => {
  const q = await queueInfo();
  expect(q.arguments).toMatchObject({
    'x-queue-type': 'quorum',
    'x-delivery-limit': GATEWAY_EVENTS_DELIVERY_LIMIT,
    'x-dead-letter-exchange': EXCHANGES.dead,
  });
});

it('while Redis is down the projector stops taking events and redelivers nothing; they land once Redis is back', async () => {
  await redis.stop();
  const first = randomUUID();
  const second = randomUUID();
  await publishState(first, 3);
  // The first event fails to be written and pauses the projector; the second is not taken.
  await new Promise((r) => setTimeout(r, 1500));
  await publishState(second, 4);
  await eventually(async () => (await queueInfo()).messages_ready >= 1, 30_000, 500);
  // Several retry periods pass without a single redelivery spent from the limit.
  await new Promise((r) => setTimeout(r, 4000));
  const during = await queueInfo();
  expect(during.messages_ready).toBeGreaterThanOrEqual(1);
  expect(during.message_stats?.redeliver ?? 0).toBe(0);

  await redis.start();
  const client = new Redis(redis.url);
  try {
    const keys = redisKeys({ prefix });
    await eventually(async () => (await client.hget(keys.process('acme', first), 'v')) === '3', 60_000, 250);
    await eventually(async () => (await client.hget(keys.process('acme', second), 'v')) === '4', 60_000, 250);
  } finally {
    client.disconnect();
  }
});
