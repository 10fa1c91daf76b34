import { Writable } from 'node:stream';
import { QUEUES, QUORUM_QUEUE_ARGUMENTS } from '@stargate/contracts';
import { createVhost, eventually, type Vhost } from '@stargate/testkit';
import { connect } from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RpcTimeoutError } from '../http/errors.js';
import { createLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { createBroker } from './broker.js';
import { createRpcClient, RPC_CHANNEL_RENEW_MIN_MS } from './rpc-client.js';

// Queries go out without confirms: a channel whose quorum queue client RabbitMQ 3.10 keeps
// pointed at a killed leader drops them silently (see broker.ts, renewAfterNack). After a
// timeout the client queries on a fresh channel (at most every RPC_CHANNEL_RENEW_MIN_MS), whose
// replies arrive like before.
let vhost: Vhost;
beforeAll(async () => {
  vhost = await createVhost('gw-rpc');
  const c = await connect(vhost.url);
  await (await c.createChannel()).assertQueue(QUEUES.rpc, {
    durable: true,
    arguments: QUORUM_QUEUE_ARGUMENTS,
  });
  await c.close();
});
afterAll(async () => {
  await vhost?.close();
});

it('queries on a fresh channel after a timeout, and its replies arrive', async () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination });
  const broker = createBroker({ url: vhost.url, logger, metrics: createMetrics() });
  const rpc = createRpcClient({ broker, logger, deadlineMs: 300 });
  await broker.start();
  const renewals = () => lines.filter((l) => l.includes('broker.rpc-channel-renewed')).length;
  try {
    // Nobody answers yet: the query times out; the channel is too young to be replaced.
    await expect(rpc.call({ kind: 'get-process', tenantId: 'a', processId: 'P-1' })).rejects.toBeInstanceOf(
      RpcTimeoutError,
    );
    expect(renewals()).toBe(0);
    await new Promise((r) => setTimeout(r, RPC_CHANNEL_RENEW_MIN_MS));
    await expect(rpc.call({ kind: 'get-process', tenantId: 'a', processId: 'P-2' })).rejects.toBeInstanceOf(
      RpcTimeoutError,
    );
    await eventually(() => renewals() === 1);

    // A server answers now (the queries that timed out wait in the queue: answered, dropped).
    const server = await connect(vhost.url);
    const sch = await server.createChannel();
    await sch.consume(QUEUES.rpc, (msg) => {
      if (!msg) return;
      sch.sendToQueue(
        msg.properties.replyTo as string,
        Buffer.from(JSON.stringify({ ok: true, kind: 'get-process', process: null })),
        {
          correlationId: msg.properties.correlationId as string,
        },
      );
      sch.ack(msg);
    });
    const reply = await rpc.call({ kind: 'get-process', tenantId: 'a', processId: 'P-3' });
    expect(reply).toMatchObject({ ok: true });
    expect(renewals()).toBe(1);
    await server.close();
  } finally {
    rpc.close();
    await broker.close();
  }
});
