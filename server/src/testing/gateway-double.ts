/**
 * The gateway double of the server's tests (a test helper: not exported, not built into
 * dist/): plays the gateway on a fresh vhost and database — publishes requests and
 * commands, collects state events, reads MongoDB.
 */
import { randomUUID } from 'node:crypto';
import {
  AMQP_HEADERS,
  cancelRoutingKey,
  cloudEvent,
  EXCHANGES,
  MESSAGE_TYPES,
  type ProcessRequestedData,
  type ProcessStateData,
  retryRoutingKey,
} from '@stargate/contracts';
import { createVhost, eventually, mongoDatabase, type Vhost } from '@stargate/testkit';
import * as amqp from 'amqplib';
import { type Db, MongoClient } from 'mongodb';
import pino from 'pino';
import type { ProcessEventDoc, ProcessDoc } from '../store/process-store.js';
import { declareTopology } from '../broker/topology.js';

export interface GatewayDouble {
  vhost: Vhost;
  mongoUrl: string;
  dbName: string;
  db: Db;
  states: ProcessStateData[];
  /** AMQP headers of every state event, in arrival order (parallel to `states`). */
  stateHeaders: Record<string, unknown>[];
  submit(
    processType: string,
    data: unknown,
    extra?: Partial<ProcessRequestedData>,
    headers?: Record<string, unknown>,
  ): Promise<string>;
  publishRaw(routingKey: string, body: Buffer, headers?: Record<string, unknown>): Promise<void>;
  command(command: 'cancel' | 'retry', processId: string, tenantId?: string): Promise<void>;
  rpc(body: unknown): Promise<unknown>;
  process(processId: string): Promise<ProcessDoc | null>;
  events(processId: string): Promise<ProcessEventDoc[]>;
  /** Waits until the record has `status` (its history entry is written with it). */
  waitFor(processId: string, status: string, timeoutMs?: number): Promise<ProcessDoc>;
  close(): Promise<void>;
}

export const quietLogger = pino({ level: process.env.STARGATE_TEST_LOG_LEVEL ?? 'silent' });

/** A broker that is not the shared one (a private instance): its default vhost, no management API. */
function defaultVhost(url: string): Vhost {
  return { name: '/', url, queueDepth: async () => -1, close: async () => undefined };
}

export async function gatewayDouble(
  processTypes: readonly string[],
  options: { mongoUrl?: string; amqpUrl?: string; dbName?: string } = {},
): Promise<GatewayDouble> {
  const vhost = options.amqpUrl ? defaultVhost(options.amqpUrl) : await createVhost('server');
  const mongo = { ...mongoDatabase('server'), ...(options.dbName ? { dbName: options.dbName } : {}) };
  const mongoUrl = options.mongoUrl ?? mongo.url;
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 20_000 });
  await client.connect();
  const db = client.db(mongo.dbName);
  const conn = await amqp.connect(vhost.url);
  const ch = await conn.createConfirmChannel();
  await declareTopology(ch, processTypes);
  const states: ProcessStateData[] = [];
  const stateHeaders: Record<string, unknown>[] = [];
  const q = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(q.queue, EXCHANGES.events, '#');
  await ch.consume(
    q.queue,
    (msg) => {
      if (!msg) return;
      states.push((JSON.parse(msg.content.toString()) as { data: ProcessStateData }).data);
      stateHeaders.push(msg.properties.headers ?? {});
    },
    { noAck: true },
  );
  const rpcCh = await conn.createChannel();
  const pending = new Map<string, (v: unknown) => void>();
  await rpcCh.consume(
    'amq.rabbitmq.reply-to',
    (msg) => {
      if (msg) pending.get(msg.properties.correlationId)?.(JSON.parse(msg.content.toString()));
    },
    { noAck: true },
  );
  const publish = (exchange: string, key: string, body: unknown, headers: Record<string, unknown> = {}) =>
    new Promise<void>((resolve, reject) =>
      ch.publish(
        exchange,
        key,
        Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body)),
        { persistent: true, headers },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  const self: GatewayDouble = {
    vhost,
    mongoUrl,
    dbName: mongo.dbName,
    db,
    states,
    stateHeaders,
    async submit(processType, data, extra = {}, headers = {}) {
      const processId = extra.processId ?? randomUUID();
      const req: ProcessRequestedData = {
        processId,
        tenantId: 'acme',
        clientId: 'acme-client',
        processType,
        payloadHash: 'hash',
        data,
        submittedAt: new Date().toISOString(),
        attempt: 1,
        ...extra,
      };
      const event = cloudEvent(
        {
          id: processId,
          source: 'test-gateway',
          type: MESSAGE_TYPES.processRequested,
          tenantId: req.tenantId,
        },
        req,
      );
      await publish(EXCHANGES.requests, processType, event, {
        [AMQP_HEADERS.correlationId]: `corr-${processId}`,
        [AMQP_HEADERS.tenantId]: req.tenantId,
        ...headers,
      });
      return processId;
    },
    publishRaw: (key, body, headers) => publish(EXCHANGES.requests, key, body, headers),
    async command(command, processId, tenantId = 'acme') {
      const event = cloudEvent(
        {
          id: randomUUID(),
          source: 'test-gateway',
          type: command === 'cancel' ? MESSAGE_TYPES.processCancel : MESSAGE_TYPES.processRetry,
          tenantId,
        },
        { processId, tenantId, clientId: 'acme-client', command, requestedAt: new Date().toISOString() },
      );
      await publish(
        EXCHANGES.control,
        command === 'cancel' ? cancelRoutingKey(processId) : retryRoutingKey(processId),
        event,
      );
    },
    rpc(body) {
      const correlationId = randomUUID();
      return new Promise((resolve) => {
        pending.set(correlationId, resolve);
        rpcCh.sendToQueue('stargate.rpc', Buffer.from(JSON.stringify(body)), {
          replyTo: 'amq.rabbitmq.reply-to',
          correlationId,
        });
      });
    },
    process: (processId) =>
      db.collection<ProcessDoc>('processes').findOne({ processId }, { projection: { _id: 0 } }),
    async events(processId) {
      const doc = await db.collection<ProcessDoc>('processes').findOne({ processId });
      return (doc?.history ?? [])
        .map(
          (e): ProcessEventDoc => ({
            ...e,
            processId,
            tenantId: doc?.tenantId ?? '',
            processType: doc?.processType ?? '',
          }),
        )
        .sort((a, b) => a.version - b.version);
    },
    async waitFor(processId, status, timeoutMs = 60_000) {
      const doc = await eventually(async () => {
        const d = await self.process(processId);
        return d?.status === status ? d : undefined;
      }, timeoutMs);
      await eventually(
        async () => (await self.events(processId)).some((e) => e.version === doc.version),
        timeoutMs,
      );
      return doc;
    },
    async close() {
      await conn.close().catch(() => undefined);
      await db.dropDatabase().catch(() => undefined);
      await client.close();
      await vhost.close();
    },
  };
  return self;
}
