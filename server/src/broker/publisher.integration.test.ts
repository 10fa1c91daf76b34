import { EXCHANGES, type ProcessRequestedData } from '@stargate/contracts';
import { createVhost, type Vhost } from '@stargate/testkit';
import { type ChannelModel, type ConfirmChannel, connect } from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPublisher } from './publisher.js';

// A nacked publish is sent once more on the channel `renew` gives (RabbitMQ 3.10 can keep a
// channel's quorum queue client pointed at a killed leader: see gateway/src/broker/broker.ts);
// a second nack is the broker's answer and reaches the caller, who acks nothing.
let vhost: Vhost;
let conn: ChannelModel;
const request: ProcessRequestedData = {
  processId: 'PROC-1',
  tenantId: 't',
  clientId: 'c',
  processType: 'bounded',
  payloadHash: 'h',
  data: {},
  submittedAt: new Date().toISOString(),
  attempt: 1,
};

beforeAll(async () => {
  vhost = await createVhost('srv-pub');
  conn = await connect(vhost.url);
  const ch = await conn.createChannel();
  await ch.assertExchange(EXCHANGES.requests, 'direct', { durable: true });
  // Holds one message; a publish beyond it is nacked (classic queues enforce the bound exactly).
  await ch.assertQueue('bounded', {
    durable: true,
    arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' },
  });
  await ch.bindQueue('bounded', EXCHANGES.requests, 'bounded');
  await ch.close();
});
afterAll(async () => {
  await conn?.close();
  await vhost?.close();
});

it('sends a nacked publish once more on a fresh channel; a second nack reaches the caller', async () => {
  let current: ConfirmChannel = await conn.createConfirmChannel();
  const renewed: ConfirmChannel[] = [];
  let makeRoom = false;
  const publisher = createPublisher(
    () => current,
    async (stale) => {
      expect(stale).toBe(current);
      if (makeRoom) await (await conn.createChannel()).purgeQueue('bounded');
      current = await conn.createConfirmChannel();
      renewed.push(current);
      return current;
    },
  );
  await publisher.request(request, {});
  // Full: nacked on both channels.
  await expect(publisher.request({ ...request, processId: 'PROC-2' }, {})).rejects.toThrow(/nack/);
  expect(renewed).toHaveLength(1);
  // Full, then room by the time the fresh channel sends it again: confirmed.
  makeRoom = true;
  await publisher.request({ ...request, processId: 'PROC-3' }, {});
  expect(renewed).toHaveLength(2);
  const ch = await conn.createChannel();
  const got = await ch.get('bounded', { noAck: true });
  expect(got && JSON.parse(got.content.toString()).data.processId).toBe('PROC-3');
  await ch.close();
});
