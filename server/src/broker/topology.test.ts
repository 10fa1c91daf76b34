import { EXCHANGES, processQueue } from '@stargate/contracts';
import { createVhost, type Vhost } from '@stargate/testkit';
import * as amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declareTopology } from './topology.js';

describe('work queue declaration', () => {
  let vhost: Vhost;
  let conn: amqp.ChannelModel;
  beforeAll(async () => {
    vhost = await createVhost('topology');
    conn = await amqp.connect(vhost.url);
  });
  afterAll(async () => {
    await conn?.close();
    await vhost?.close();
  });

  it('keeps working with a work queue an older version declared without a bound, and says so', async () => {
    const old = await conn.createChannel();
    await old.assertQueue(processQueue('legacy'), {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-delivery-limit': 5,
        'x-dead-letter-exchange': EXCHANGES.dead,
      },
    });
    await old.close();
    const ch = await conn.createChannel();
    const mismatched: string[] = [];
    await declareTopology(
      ch,
      [{ name: 'legacy', queue: { maxLength: 100 } }, 'fresh'],
      () => conn.createChannel(),
      (queue) => mismatched.push(queue),
    );
    expect(mismatched).toEqual([processQueue('legacy')]);
    // The channel survived, and the new type's queue got every argument.
    const fresh = await ch.checkQueue(processQueue('fresh'));
    expect(fresh.queue).toBe(processQueue('fresh'));
    expect(await vhost.queueDepth(processQueue('fresh'))).toBe(0);
    await ch.close();
  });
});
