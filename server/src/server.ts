import { hostname } from 'node:os';
import { brokerUrls, processQueue, quorumInitialGroupSize, type ServerConfig } from '@stargate/contracts';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { type Db, MongoClient } from 'mongodb';
import pino, { type Logger } from 'pino';
import { type BrokerConnection, connectBroker } from './broker/connection.js';
import { createPublisher } from './broker/publisher.js';
import { declareTopology } from './broker/topology.js';
import { type ProcessTypeRuntime, resolveProcessTypes } from './config/process-types.js';
import { createFieldCipher, type EncryptionKey } from './crypto/field-cipher.js';
import type { Handler } from './handlers/define-handler.js';
import { startHealthServer } from './observability/health-server.js';
import { createMetrics, type ServerMetrics } from './observability/metrics.js';
import { observeMongoPool } from './observability/mongo-pool-metrics.js';
import { observeQueueWait } from './observability/queue-wait.js';
import { createRetentionJob, type RetentionJob } from './retention/retention-job.js';
import { createIdempotencyKeyBindings } from './rpc/idempotency-key-bindings.js';
import { createProcessIdBlocks } from './rpc/process-id-blocks.js';
import { consumeRpc } from './rpc/rpc-consumer.js';
import { consumeCancelFanout } from './runtime/cancel-fanout.js';
import { type Consumer, createConsumerSet } from './runtime/consumer-set.js';
import { createProcessRunner } from './runtime/process-runner.js';
import { AUDIT_PREFETCH, SIDE_PREFETCH, sideQueueHandlers } from './runtime/side-queues.js';
import { watchStoreOutages } from './runtime/store-outage.js';
import { createAuditLog } from './store/audit-log.js';
import { createProcessStore } from './store/process-store.js';

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
  /** How long a run owns its process unless renewed (default 30 s). */
  leaseMs?: number;
}

export interface StargateServer {
  metrics: ServerMetrics;
  start(): Promise<void>;
  ready(): Promise<{ ok: boolean; checks: Record<string, boolean> }>;
  close(): Promise<void>;
}

/** Longest wait after a reconnect for the runs of the lost connection to end. */
const RECONNECT_IDLE_WAIT_MS = 60_000;
/** A publish channel replaced after a nack is kept at least this long (renewPubChannel). */
const PUB_CHANNEL_RENEW_MIN_MS = 500;

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
  let brokerUp = false;
  let stopping = false;
  let connection: BrokerConnection | undefined;
  let retention: RetentionJob | undefined;

  let pubModel: ChannelModel | undefined;
  let pubOpenedAt = 0;
  let renewing: Promise<ConfirmChannel | undefined> | undefined;
  // After a nack: a fresh publish channel on the same connection (publisher.ts, RenewChannel),
  // at most one every PUB_CHANNEL_RENEW_MIN_MS; the stale one closes once its confirms are in.
  const renewPubChannel = (stale: ConfirmChannel): Promise<ConfirmChannel | undefined> => {
    if (pubChannel !== stale) return Promise.resolve(pubChannel);
    const m = pubModel;
    if (!m) return Promise.resolve(undefined);
    renewing ??= (async () => {
      const wait = pubOpenedAt + PUB_CHANNEL_RENEW_MIN_MS - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (pubChannel !== stale || pubModel !== m) return pubChannel;
      const fresh = await m.createConfirmChannel();
      fresh.on('error', (err: Error) => logger.warn({ err: err.message }, 'AMQP publish channel error'));
      pubChannel = fresh;
      pubOpenedAt = Date.now();
      logger.warn(
        { event: 'broker.channel-renewed' },
        'RabbitMQ refused a publish; publishing on a fresh channel',
      );
      setTimeout(() => stale.close().catch(() => undefined), 10_000).unref();
      return fresh;
    })()
      .catch((err: Error) => {
        logger.warn({ err: err.message }, 'could not open a fresh publish channel');
        return undefined;
      })
      .finally(() => {
        renewing = undefined;
      });
    return renewing;
  };
  const publisher = createPublisher(() => pubChannel, renewPubChannel);
  const metrics = createMetrics(
    async (type) => (lagChannel ? (await lagChannel.checkQueue(processQueue(type))).messageCount : undefined),
    deps.types.map((t) => t.name),
  );
  const consumers = createConsumerSet(logger);
  const outage = watchStoreOutages({
    store,
    metrics,
    logger,
    stopping: () => stopping,
    pause: () => consumers.pause(),
    resume: async () => {
      if (!stopping && outage.up()) await consumers.resume();
    },
  });
  const { onStoreUnavailable } = outage;
  const runner = createProcessRunner({
    store,
    publisher,
    metrics,
    logger,
    actor,
    onStoreUnavailable,
    ...(deps.leaseMs !== undefined ? { leaseMs: deps.leaseMs } : {}),
  });
  /** One per work queue channel of the current connection: aborted when that channel is lost. */
  let channelsLost: AbortController[] = [];
  const loseChannels = () => {
    for (const c of channelsLost) c.abort();
    channelsLost = [];
  };

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
    pubModel = m;
    pubOpenedAt = Date.now();
    lagChannel = await m.createChannel();
    const next: Consumer[] = [];
    for (const type of deps.types) {
      const ch = await m.createChannel();
      await ch.prefetch(type.concurrency);
      const lost = new AbortController();
      channelsLost.push(lost);
      ch.on('close', () => lost.abort());
      next.push({
        queue: processQueue(type.name),
        channel: ch,
        onMessage: (msg) => {
          observeQueueWait(metrics, type.name, msg);
          return runner.handle(msg, type, lost.signal);
        },
      });
    }
    const side = await m.createChannel();
    await side.prefetch(SIDE_PREFETCH);
    // Audit records are stored in batches (one insertMany): enough of them in flight to fill one.
    const auditCh = await m.createChannel();
    await auditCh.prefetch(AUDIT_PREFETCH);
    for (const h of sideQueueHandlers({
      store,
      audit,
      publisher,
      metrics,
      logger,
      actor,
      onStoreUnavailable,
    }))
      next.push({ queue: h.queue, channel: h.lane === 'audit' ? auditCh : side, onMessage: h.onMessage });
    await consumeCancelFanout(await m.createChannel(), (id) => runner.cancelRunning(id), logger);
    await consumeRpc(await m.createChannel(), { store, processIds, keyBindings, publisher, logger });
    // After a reconnect, handlers started from the lost connection may still run; RabbitMQ has
    // requeued their deliveries. Work is taken again once they ended, so that a redelivery to
    // this worker finds their outcome recorded instead of running the handler a second time.
    if (runner.inFlight() > 0) {
      logger.info({ running: runner.inFlight() }, 'waiting for the runs of the lost connection to end');
      await Promise.race([runner.idle(), new Promise((r) => setTimeout(r, RECONNECT_IDLE_WAIT_MS))]);
    }
    consumers.replace(next);
    brokerUp = true;
    if (outage.up() && !stopping) await consumers.resume();
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
        consumers.forget();
        loseChannels();
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
      outage.close();
      retention?.close();
      await consumers.pause();
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
  /** How long a run owns its process unless renewed (default 30). */
  leaseSeconds?: number;
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
    ...(options.leaseSeconds !== undefined ? { leaseMs: options.leaseSeconds * 1000 } : {}),
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
