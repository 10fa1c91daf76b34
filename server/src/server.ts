import { hostname } from 'node:os';
import {
  brokerUrls,
  EXCHANGES,
  processQueue,
  QUEUES,
  quorumInitialGroupSize,
  type ServerConfig,
  type RpcReply,
} from '@stargate/contracts';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { type Db, MongoClient } from 'mongodb';
import pino, { type Logger } from 'pino';
import { type BrokerConnection, connectBroker } from './broker/connection.js';
import { createPublisher } from './broker/publisher.js';
import { declareTopology, SERVER_DEAD_LETTER_QUEUE } from './broker/topology.js';
import { type ProcessTypeRuntime, resolveProcessTypes } from './config/process-types.js';
import { createFieldCipher, type EncryptionKey } from './crypto/field-cipher.js';
import type { Handler } from './handlers/define-handler.js';
import { startHealthServer } from './observability/health-server.js';
import { createMetrics, type ServerMetrics } from './observability/metrics.js';
import { observeMongoPool } from './observability/mongo-pool-metrics.js';
import { observeQueueWait } from './observability/queue-wait.js';
import { createRetentionJob, type RetentionJob } from './retention/retention-job.js';
import { inConsumerSpan } from './observability/tracing.js';
import { createIdempotencyKeyBindings } from './rpc/idempotency-key-bindings.js';
import { createProcessIdBlocks } from './rpc/process-id-blocks.js';
import { answerRpc } from './rpc/rpc-handler.js';
import { handleAuditRecord } from './runtime/audit-consumer.js';
import { handleCommand } from './runtime/command-consumer.js';
import { handleDeadLetter } from './runtime/dead-letter-consumer.js';
import { createProcessRunner, type Disposition } from './runtime/process-runner.js';
import { MalformedMessageError, parseJson } from './runtime/request-message.js';
import { createAuditLog } from './store/audit-log.js';
import { createProcessStore, isStoreUnavailable } from './store/process-store.js';

export interface ServerDeps {
  /** One AMQP URL, or the nodes of a RabbitMQ cluster separated by commas. */
  amqpUrl: string;
  /** `x-quorum-initial-group-size` of the queues; default 3 with several URLs. */
  quorumInitialGroupSize?: number;
  db: Db;
  types: ProcessTypeRuntime[];
  logger: Logger;
  encryptionKeys?: readonly EncryptionKey[];
  retention?: ServerConfig['retention'];
  shutdownGraceMs?: number;
}

export interface StargateServer {
  metrics: ServerMetrics;
  start(): Promise<void>;
  ready(): Promise<{ ok: boolean; checks: Record<string, boolean> }>;
  close(): Promise<void>;
}

/** Deliveries of a command, dead letter or audit record before it is given up (logged). */
const SIDE_DELIVERY_LIMIT = 10;
/** Longest wait after a reconnect for the runs of the lost connection to end. */
const RECONNECT_IDLE_WAIT_MS = 60_000;
/** Unacknowledged audit records per worker (they are written in batches). */
const AUDIT_PREFETCH = 256;

interface Consumer {
  queue: string;
  channel: Channel;
  onMessage(msg: ConsumeMessage): Promise<Disposition>;
  tag?: string;
}

/** Wires the runtime onto one RabbitMQ connection (re-established with backoff) and one MongoDB database. */
export function createServer(deps: ServerDeps): StargateServer {
  const logger = deps.logger;
  const actor = `worker:${hostname()}:${process.pid}`;
  const cipher = createFieldCipher(deps.encryptionKeys ?? []);
  const store = createProcessStore(deps.db, cipher);
  const audit = createAuditLog(deps.db);
  const processIds = createProcessIdBlocks(deps.db);
  const keyBindings = createIdempotencyKeyBindings(deps.db);
  let pubChannel: ConfirmChannel | undefined;
  let lagChannel: Channel | undefined;
  let consumers: Consumer[] = [];
  let brokerUp = false;
  let storeUp = true;
  let stopping = false;
  let connection: BrokerConnection | undefined;
  let retention: RetentionJob | undefined;
  let probe: NodeJS.Timeout | undefined;

  const publisher = createPublisher(() => pubChannel);
  const metrics = createMetrics(
    async (type) => (lagChannel ? (await lagChannel.checkQueue(processQueue(type))).messageCount : undefined),
    deps.types.map((t) => t.name),
  );

  async function consume(c: Consumer): Promise<void> {
    const reply = await c.channel.consume(c.queue, (msg) => {
      if (!msg) return;
      c.onMessage(msg).then(
        (d) => {
          try {
            if (d === 'ack') c.channel.ack(msg);
            else c.channel.nack(msg, false, d === 'requeue');
          } catch (err) {
            // The channel died with the connection; RabbitMQ redelivers the message.
            logger.warn({ err: (err as Error).message }, 'could not settle a delivery');
          }
        },
        (err: Error) => logger.error({ err }, 'consumer failed'),
      );
    });
    c.tag = reply.consumerTag;
  }

  async function pause(): Promise<void> {
    await Promise.all(
      consumers.map(async (c) => {
        const tag = c.tag;
        c.tag = undefined;
        if (tag) await c.channel.cancel(tag).catch(() => undefined);
      }),
    );
  }

  async function resume(): Promise<void> {
    if (stopping || !storeUp) return;
    for (const c of consumers) if (!c.tag) await consume(c);
  }

  function onStoreUnavailable(err: unknown): void {
    if (!storeUp || stopping) return;
    storeUp = false;
    metrics.errors.inc({ component: 'mongodb' });
    logger.warn(
      { err: (err as Error).message },
      'MongoDB unavailable: consuming paused until it answers again',
    );
    void pause();
    let delay = 200;
    const check = () => {
      store.ping().then(
        () => {
          storeUp = true;
          logger.info('MongoDB is back: consuming resumed');
          resume().catch((e: Error) => logger.error({ err: e }, 'could not resume consuming'));
        },
        () => {
          delay = Math.min(delay * 2, 5_000);
          if (!stopping) probe = setTimeout(check, delay);
        },
      );
    };
    probe = setTimeout(check, delay);
  }

  const runner = createProcessRunner({ store, publisher, metrics, logger, actor, onStoreUnavailable });

  /** Runs after every (re)connection: fresh channels, topology, consumers. */
  async function setup(m: ChannelModel): Promise<void> {
    const pub = await m.createConfirmChannel();
    await declareTopology(
      pub,
      deps.types.map((t) => ({ name: t.name, queue: t.queue })),
      () => m.createChannel(),
      (queue, err) =>
        logger.warn(
          { queue, err: err.message },
          'work queue exists with other arguments (an older version declared it); using it as it is — delete it while it is empty to apply the new ones',
        ),
      {
        quorumInitialGroupSize: quorumInitialGroupSize(
          brokerUrls(deps.amqpUrl).length,
          deps.quorumInitialGroupSize,
        ),
      },
    );
    pubChannel = pub;
    lagChannel = await m.createChannel();
    const next: Consumer[] = [];
    for (const type of deps.types) {
      const ch = await m.createChannel();
      await ch.prefetch(type.concurrency);
      next.push({
        queue: processQueue(type.name),
        channel: ch,
        onMessage: (msg) => {
          observeQueueWait(metrics, type.name, msg);
          return runner.handle(msg, type);
        },
      });
    }
    const settled =
      (fn: (msg: ConsumeMessage) => Promise<void>, component: string) =>
      async (msg: ConsumeMessage): Promise<Disposition> => {
        try {
          await fn(msg);
          return 'ack';
        } catch (err) {
          if (err instanceof MalformedMessageError) {
            logger.error({ err: err.message, component }, 'malformed message; dead-lettering it');
            return 'dead-letter';
          }
          metrics.errors.inc({ component });
          if (isStoreUnavailable(err)) onStoreUnavailable(err);
          const deliveries = Number(msg.properties.headers?.['x-delivery-count'] ?? 0);
          if (!isStoreUnavailable(err) && deliveries >= SIDE_DELIVERY_LIMIT) {
            // These queues have no delivery limit of their own: stop a message that always fails.
            logger.error({ err, component, deliveries }, 'message keeps failing; giving up on it');
            return 'dead-letter';
          }
          logger.warn(
            { err: (err as Error).message, component },
            'message not handled; returning it to the queue',
          );
          return 'requeue';
        }
      };
    const side = await m.createChannel();
    await side.prefetch(16);
    next.push(
      {
        queue: QUEUES.control,
        channel: side,
        onMessage: settled(
          (msg) =>
            inConsumerSpan(
              `command ${msg.fields.routingKey.split('.', 1)[0]}`,
              msg.properties.headers,
              { 'messaging.destination.name': EXCHANGES.control },
              () => handleCommand({ store, publisher, logger, actor }, msg),
            ),
          'commands',
        ),
      },
      {
        queue: SERVER_DEAD_LETTER_QUEUE,
        channel: side,
        onMessage: settled(
          (msg) => handleDeadLetter({ store, publisher, metrics, logger, actor }, msg),
          'dead-letters',
        ),
      },
    );
    // Audit records are stored in batches (one insertMany): enough of them in flight to fill one.
    const auditCh = await m.createChannel();
    await auditCh.prefetch(AUDIT_PREFETCH);
    next.push({
      queue: QUEUES.audit,
      channel: auditCh,
      onMessage: settled((msg) => handleAuditRecord(audit, msg), 'audit'),
    });
    // Each worker hears every cancel, to abort the handler it runs for that process.
    const cancelCh = await m.createChannel();
    const own = await cancelCh.assertQueue('', { exclusive: true, autoDelete: true });
    await cancelCh.bindQueue(own.queue, EXCHANGES.control, 'cancel.*');
    await cancelCh.consume(
      own.queue,
      (msg) => {
        if (!msg) return;
        const processId = msg.fields.routingKey.slice('cancel.'.length);
        if (runner.cancelRunning(processId))
          logger.info({ processId }, 'cancel: aborting the running handler');
      },
      { noAck: true },
    );
    // Queries are answered even while MongoDB is down (with a retryable error), so they never pause.
    const rpcCh = await m.createChannel();
    await rpcCh.prefetch(32);
    await rpcCh.consume(QUEUES.rpc, (msg) => {
      if (!msg) return;
      const { replyTo, correlationId } = msg.properties;
      const answer = (async (): Promise<RpcReply> => {
        let query: unknown;
        try {
          query = parseJson(msg);
        } catch {
          return {
            ok: false,
            error: { code: 'INVALID_REQUEST', message: 'query is not JSON', retryable: false },
          };
        }
        try {
          return await inConsumerSpan(
            `query ${QUEUES.rpc}`,
            msg.properties.headers,
            { 'messaging.destination.name': QUEUES.rpc },
            () => answerRpc(store, query, processIds, keyBindings),
          );
        } catch (err) {
          logger.warn({ err: (err as Error).message }, 'query failed');
          return {
            ok: false,
            error: { code: 'UNAVAILABLE', message: 'the record of truth is unavailable', retryable: true },
          };
        }
      })();
      answer
        .then((reply) => (replyTo ? publisher.reply(replyTo, correlationId ?? '', reply) : undefined))
        .then(
          () => rpcCh.ack(msg),
          (err: Error) => {
            logger.warn({ err: err.message }, 'could not reply to a query');
            rpcCh.ack(msg);
          },
        );
    });
    // After a reconnect, handlers started from the lost connection may still run; RabbitMQ has
    // requeued their deliveries. Work is taken again once they ended, so that a redelivery to
    // this worker finds their outcome recorded instead of running the handler a second time.
    if (runner.inFlight() > 0) {
      logger.info({ running: runner.inFlight() }, 'waiting for the runs of the lost connection to end');
      await Promise.race([runner.idle(), new Promise((r) => setTimeout(r, RECONNECT_IDLE_WAIT_MS))]);
    }
    consumers = next;
    brokerUp = true;
    if (storeUp && !stopping) for (const c of consumers) await consume(c);
  }

  return {
    metrics,
    async start() {
      await store.ensureIndexes();
      await audit.ensureIndexes();
      // Several URLs: the nodes of a cluster, tried in turn (connection.ts).
      connection = await connectBroker(deps.amqpUrl, {
        setup,
        initialDelay: 200,
        maxDelay: 10_000,
        initialMaxRetries: 5,
        onNodeFailed: (node, err) =>
          logger.warn({ node: node + 1, err: err.message }, 'RabbitMQ node not reachable'),
      });
      connection.on('disconnect', (err: Error) => {
        brokerUp = false;
        pubChannel = undefined;
        lagChannel = undefined;
        for (const c of consumers) c.tag = undefined;
        if (!stopping) logger.warn({ err: err?.message }, 'RabbitMQ connection lost; reconnecting');
      });
      connection.on('error', (err: Error) => logger.warn({ err: err.message }, 'RabbitMQ connection error'));
      if (deps.retention)
        retention = createRetentionJob({
          db: deps.db,
          processTypes: deps.types.map((t) => t.name),
          retention: deps.retention,
          logger,
        });
      logger.info({ types: deps.types.map((t) => t.name) }, 'server started');
    },
    async ready() {
      const mongo = await store.ping().then(
        () => true,
        () => false,
      );
      return { ok: mongo && brokerUp, checks: { mongodb: mongo, rabbitmq: brokerUp } };
    },
    async close() {
      if (stopping) return;
      stopping = true;
      if (probe) clearTimeout(probe);
      retention?.close();
      await pause();
      const grace = deps.shutdownGraceMs ?? 30_000;
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((r) => {
        timer = setTimeout(() => r('expired'), grace);
      });
      if ((await Promise.race([runner.idle(), expired])) === 'expired') {
        logger.warn(
          { running: runner.inFlight() },
          'grace period over; returning unfinished requests to the queue',
        );
        runner.abortAll('shutdown');
        await runner.idle();
      }
      clearTimeout(timer);
      // Let the last acks/nacks reach the socket before the connection closes.
      await new Promise((r) => setImmediate(r));
      await connection?.close().catch(() => undefined);
      logger.info('server stopped');
    },
  };
}

export interface StartServerOptions {
  /** One AMQP URL, or the nodes of a RabbitMQ cluster separated by commas. */
  amqpUrl: string;
  quorumInitialGroupSize?: number;
  mongoUrl: string;
  dbName?: string;
  processTypes: readonly string[];
  serverConfig?: ServerConfig;
  logger?: Logger;
  encryptionKeys?: readonly EncryptionKey[];
  /** 0 = a random free port; undefined = no health listener. */
  healthPort?: number;
  healthHost?: string;
  shutdownGraceSeconds?: number;
  /** Extra handler modules (by `type`), e.g. a custom handler of an embedding test. */
  handlers?: readonly Handler<never, unknown>[];
  /** Environment for forward credentials (defaults to process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface RunningServer {
  /** The health/metrics port when a listener was asked for. */
  healthPort: number | undefined;
  metrics: ServerMetrics;
  close(): Promise<void>;
}

/** Connects to MongoDB and RabbitMQ and runs a worker for `processTypes` until close(). */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? pino({ name: 'stargate-server', level: 'info' });
  const types = await resolveProcessTypes(options.processTypes, options.serverConfig, {
    env: options.env ?? process.env,
    ...(options.handlers ? { handlers: options.handlers } : {}),
  });
  const client = new MongoClient(options.mongoUrl, {
    serverSelectionTimeoutMS: 3_000,
    connectTimeoutMS: 3_000,
  });
  const pool = observeMongoPool(client);
  await client.connect();
  const server = createServer({
    amqpUrl: options.amqpUrl,
    ...(options.quorumInitialGroupSize ? { quorumInitialGroupSize: options.quorumInitialGroupSize } : {}),
    db: client.db(options.dbName ?? 'stargate'),
    types,
    logger,
    ...(options.encryptionKeys ? { encryptionKeys: options.encryptionKeys } : {}),
    ...(options.serverConfig?.retention ? { retention: options.serverConfig.retention } : {}),
    shutdownGraceMs: (options.shutdownGraceSeconds ?? 30) * 1000,
  });
  pool.register(server.metrics.registry);
  try {
    await server.start();
  } catch (err) {
    await client.close();
    throw err;
  }
  const health =
    options.healthPort === undefined
      ? undefined
      : await startHealthServer({
          port: options.healthPort,
          ...(options.healthHost ? { host: options.healthHost } : {}),
          ready: () => server.ready(),
          registry: server.metrics.registry,
        });
  return {
    healthPort: health?.port,
    metrics: server.metrics,
    async close() {
      await health?.close();
      await server.close();
      await client.close();
    },
  };
}
