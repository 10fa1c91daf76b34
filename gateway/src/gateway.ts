import type { SecureContextOptions } from 'node:tls';
import { redisKeys } from '@stargate/contracts';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { createAuditor } from './audit/audit.js';
import { createRefreshTokenStore } from './auth/refresh-tokens.js';
import type { SigningKeys } from './auth/signing-keys.js';
import { createTokenIssuer } from './auth/token-issuer.js';
import { createTokenVerifier } from './auth/token-verifier.js';
import { createBroker } from './broker/broker.js';
import { createRpcClient } from './broker/rpc-client.js';
import { createConfigStore } from './config/config-store.js';
import type { ConfigSource } from './config/file-source.js';
import { buildApp } from './http/app.js';
import type { GatewayContext } from './http/context.js';
import { createIdempotencyStore } from './idempotency/idempotency-store.js';
import { createProcessIdAllocator, reserveOverRpc } from './idempotency/process-id-allocator.js';
import type { Logger } from './observability/logger.js';
import { trackConnections } from './observability/connection-metrics.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { registerRedisInfoMetrics } from './observability/redis-info-metrics.js';
import { observeAppliedState } from './observability/state-metrics.js';
import { createRateLimiter } from './ratelimit/rate-limiter.js';
import { createChangeNotifier } from './state/change-notifier.js';
import { createProcessReader } from './state/process-reader.js';
import { createStaleRecheck, DEFAULT_STATE_RECHECK_MS } from './state/stale-recheck.js';
import { createProjector } from './state/projector.js';
import { createStateStore } from './state/state-store.js';
import { createLongPollSlots, DEFAULT_LONG_POLLS_PER_TENANT } from './processes/long-poll-slots.js';

export interface GatewayDeps {
  /** Commands (rate limits, state, idempotency, refresh tokens). */
  redis: Redis;
  /** A second connection for pub/sub (a subscribed connection cannot run commands). */
  redisSubscriber: Redis;
  /** One AMQP URL, or the nodes of a RabbitMQ cluster separated by commas. */
  amqpUrl: string;
  quorumInitialGroupSize?: number;
  /** Builds the config source feeding the given store (file, Kubernetes, static). */
  configSource: (store: ReturnType<typeof createConfigStore>, metrics: Metrics) => ConfigSource;
  signingKeys: SigningKeys;
  logger: Logger;
  clock?: { now(): number };
  publicUrl: string;
  issuer?: string;
  audience?: string;
  redisPrefix?: string;
  idempotencyTtlSeconds?: number;
  stateTtlSeconds?: number;
  /** A non-terminal state unchanged for this long is re-checked with the server; 0: never. */
  stateRecheckAfterMs?: number;
  rpcDeadlineMs?: number;
  /** How long a client may take to send a whole request (default 60 s, http/app.ts). */
  requestTimeoutMs?: number;
  confirmTimeoutMs?: number;
  rateLimitCooldownMs?: number;
  /** Long polls a tenant may hold at once on this instance (default 200); more are answered at once. */
  maxLongPollsPerTenant?: number;
  defaultMetrics?: boolean;
  /** Serve HTTPS with these settings (http/tls-files.ts); default plain HTTP. */
  https?: SecureContextOptions;
}

export interface Gateway {
  app: FastifyInstance;
  context: GatewayContext;
  /** Loads config, connects to RabbitMQ, starts the projector; does not listen. */
  start(): Promise<void>;
  /** Drains: readiness goes down, long-polls answer, in-flight requests finish, connections close. */
  close(): Promise<void>;
}

export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  const now = () => (deps.clock ? deps.clock.now() : Date.now());
  const logger = deps.logger;
  const metrics = createMetrics({ defaultMetrics: deps.defaultMetrics ?? false });
  registerRedisInfoMetrics({
    registry: metrics.registry,
    redis: deps.redis,
    onError: (err) => {
      metrics.redisErrors.inc({ operation: 'info' });
      logger.warn({ err: err.message }, 'could not read Redis INFO for the metrics');
    },
  });
  const keys = redisKeys({ prefix: deps.redisPrefix ?? 'sg' });
  const publicUrl = deps.publicUrl.replace(/\/+$/, '');
  const issuer = deps.issuer ?? publicUrl;
  const audience = deps.audience ?? 'stargate-api';
  const config = createConfigStore({ logger, metrics });
  const source = deps.configSource(config, metrics);
  const broker = createBroker({
    url: deps.amqpUrl,
    logger,
    metrics,
    ...(deps.quorumInitialGroupSize ? { quorumInitialGroupSize: deps.quorumInitialGroupSize } : {}),
    ...(deps.confirmTimeoutMs !== undefined ? { confirmTimeoutMs: deps.confirmTimeoutMs } : {}),
  });
  const rpc = createRpcClient({
    broker,
    logger,
    ...(deps.rpcDeadlineMs ? { deadlineMs: deps.rpcDeadlineMs } : {}),
  });
  const processIds = createProcessIdAllocator({
    reserve: reserveOverRpc((request) => rpc.call(request)),
    now,
    onError: (err) => logger.warn({ err: err.message }, 'process id block not reserved; will retry'),
  });
  const stateStore = createStateStore({
    redis: deps.redis,
    keys,
    ttlSeconds: deps.stateTtlSeconds ?? 86_400,
  });
  const projector = createProjector({
    broker,
    store: stateStore,
    logger,
    metrics,
    onApplied: (state) =>
      observeAppliedState(
        metrics,
        state,
        (type) => config.current()?.processType.get(type)?.polling.maxTimeoutSeconds,
      ),
  });
  const notifier = createChangeNotifier({ subscriber: deps.redisSubscriber, logger });
  const auditor = createAuditor({ broker, logger, metrics, now });
  const signingKeys = () => deps.signingKeys;
  const lifecycle = { started: false, draining: false };
  const context: GatewayContext = {
    publicUrl,
    issuer,
    audience,
    redis: deps.redis,
    keys,
    config,
    signingKeys,
    tokenIssuer: createTokenIssuer({ keys: signingKeys, issuer: () => context.issuer, audience, now }),
    tokenVerifier: createTokenVerifier({ keys: signingKeys, issuer: () => context.issuer, audience, now }),
    refreshTokens: createRefreshTokenStore({ redis: deps.redis, keys }),
    rateLimiter: createRateLimiter({
      redis: deps.redis,
      keys,
      logger,
      metrics,
      now,
      ...(deps.rateLimitCooldownMs !== undefined ? { cooldownMs: deps.rateLimitCooldownMs } : {}),
    }),
    idempotency: createIdempotencyStore({
      redis: deps.redis,
      keys,
      ttlSeconds: deps.idempotencyTtlSeconds ?? 86_400,
    }),
    processIds,
    broker,
    rpc,
    reader: createProcessReader({
      store: stateStore,
      rpc,
      logger,
      metrics,
      recheck: createStaleRecheck({
        rpc,
        store: stateStore,
        redis: deps.redis,
        keys,
        logger,
        metrics,
        afterMs: deps.stateRecheckAfterMs ?? DEFAULT_STATE_RECHECK_MS,
        now,
      }),
    }),
    stateStore,
    notifier,
    auditor,
    metrics,
    longPolls: createLongPollSlots(deps.maxLongPollsPerTenant ?? DEFAULT_LONG_POLLS_PER_TENANT),
    logger,
    now,
    lifecycle,
  };
  const app = await buildApp(context, {
    ...(deps.https ? { https: deps.https } : {}),
    ...(deps.requestTimeoutMs ? { requestTimeoutMs: deps.requestTimeoutMs } : {}),
  });
  trackConnections(app.server, metrics);

  return {
    app,
    context,
    async start() {
      await source.start();
      await broker.start();
      await app.ready();
      processIds.warm();
      lifecycle.started = true;
    },
    async close() {
      lifecycle.draining = true;
      // Waiting long-polls answer now with what they have, so the drain is not held for 60 s.
      await notifier.close();
      await app.close();
      await projector.close();
      await auditor.flush();
      rpc.close();
      await broker.close();
      await source.close();
    },
  };
}
