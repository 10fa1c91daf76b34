import type { Server as TlsServer } from 'node:tls';
import type { GatewayConfig } from '@stargate/contracts';
import type { Redis } from 'ioredis';
import {
  buildSigningKeys,
  generateSigningKey,
  loadSigningKeysDir,
  type SigningKeys,
} from './auth/signing-keys.js';
import { createFileConfigSource, createStaticConfigSource } from './config/file-source.js';
import { createRedisClient, type RedisTopology } from './config/redis-client.js';
import { createGateway, type Gateway } from './gateway.js';
import { loadTlsFiles, type TlsFiles } from './http/tls-files.js';
import { type TlsReloader, watchTlsFiles } from './http/tls-reloader.js';
import { createLogger, type Logger } from './observability/logger.js';

export { createGateway, type Gateway, type GatewayDeps } from './gateway.js';
export {
  buildSigningKeys,
  generateSigningKey,
  importSigningKey,
  loadSigningKeysDir,
} from './auth/signing-keys.js';
export { createLogger } from './observability/logger.js';
export type { RedisTopology } from './config/redis-client.js';
export type { TlsFiles } from './http/tls-files.js';

export type GatewayConfigOption =
  | { config: GatewayConfig }
  | { configFile: string }
  | { kubernetes: { namespace: string; name: string; kubeconfig?: string } };

export type StartGatewayOptions = GatewayConfigOption & {
  /** Credentials, database and TLS; the address too in standalone mode. */
  redisUrl: string;
  /** Sentinel or Cluster; default standalone at redisUrl. */
  redisTopology?: RedisTopology;
  /** One AMQP URL, or the nodes of a RabbitMQ cluster separated by commas. */
  amqpUrl: string;
  /** `x-quorum-initial-group-size` of the gateway's queue; default 3 with several URLs. */
  quorumInitialGroupSize?: number;
  /** Default 127.0.0.1 and a free port. */
  host?: string;
  /** Serve HTTPS (minimum TLS 1.2) with the certificate in these files, reloaded when they change. */
  tls?: TlsFiles;
  /** How often the TLS files are re-read besides the folder watch (ms); default 60 s. */
  tlsPollMs?: number;
  port?: number;
  /** Base of Location/statusUrl and the token issuer; default the listening URL. */
  publicUrl?: string;
  redisPrefix?: string;
  /** Directory of `<kid>.pem`, or ready keys; default one fresh in-memory key. */
  signingKeysDir?: string;
  signingKeys?: SigningKeys;
  issuer?: string;
  audience?: string;
  logger?: Logger;
  logLevel?: string;
  clock?: { now(): number };
  idempotencyTtlSeconds?: number;
  stateTtlSeconds?: number;
  stateRecheckAfterMs?: number;
  /** How long a client may take to send a whole request (default 60 s, http/app.ts). */
  requestTimeoutMs?: number;
  rpcDeadlineMs?: number;
  confirmTimeoutMs?: number;
  rateLimitCooldownMs?: number;
  /** Long polls a tenant may hold at once on this instance (default 200). */
  maxLongPollsPerTenant?: number;
  defaultMetrics?: boolean;
};

export interface RunningGateway {
  url: string;
  gateway: Gateway;
  /** With `tls`: the certificate in force and a manual reload. */
  tls?: TlsReloader;
  close(): Promise<void>;
}

async function waitForRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('STARGATE_REDIS_URL: Redis not reachable within 10 s')),
      10_000,
    );
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Runs a complete gateway (Redis, RabbitMQ, config, HTTP) and resolves once it listens. */
export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? 'warn' });
  // Bad TLS files fail the start with the setting named, before anything connects.
  const tls = options.tls ? await loadTlsFiles(options.tls) : undefined;
  const redis = createRedisClient(options.redisUrl, options.redisTopology);
  const subscriber = createRedisClient(options.redisUrl, options.redisTopology);
  // ioredis reports errors as events; the callers log what matters.
  redis.on('error', () => undefined);
  subscriber.on('error', () => undefined);
  const cleanupRedis = () => {
    redis.disconnect();
    subscriber.disconnect();
  };
  try {
    await Promise.all([waitForRedis(redis), waitForRedis(subscriber)]);
    const signingKeys =
      options.signingKeys ??
      (options.signingKeysDir
        ? await loadSigningKeysDir(options.signingKeysDir)
        : buildSigningKeys([await generateSigningKey(`k-${Date.now().toString(36)}`)]));
    // The Kubernetes client costs ~90 MB of memory; only deployments that use it load it.
    const kubernetesSource =
      'kubernetes' in options
        ? (await import('./config/kubernetes-source.js')).createKubernetesConfigSource
        : undefined;
    const scheme = tls ? 'https' : 'http';
    const host = options.host ?? '127.0.0.1';
    // Without a public URL the listening URL is used, known only after listen: a placeholder
    // until then (nothing is served before listen).
    const gateway = await createGateway({
      redis,
      redisSubscriber: subscriber,
      amqpUrl: options.amqpUrl,
      ...(options.quorumInitialGroupSize ? { quorumInitialGroupSize: options.quorumInitialGroupSize } : {}),
      configSource: (store, metrics) => {
        if ('config' in options) return createStaticConfigSource({ doc: options.config, store });
        if ('configFile' in options)
          return createFileConfigSource({ path: options.configFile, store, logger, metrics });
        return kubernetesSource!({ ...options.kubernetes, store, logger, metrics });
      },
      signingKeys,
      logger,
      publicUrl: options.publicUrl ?? `${scheme}://${host}:${options.port ?? 0}`,
      ...(tls ? { https: tls.options } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.issuer ? { issuer: options.issuer } : {}),
      ...(options.audience ? { audience: options.audience } : {}),
      ...(options.redisPrefix ? { redisPrefix: options.redisPrefix } : {}),
      ...(options.idempotencyTtlSeconds ? { idempotencyTtlSeconds: options.idempotencyTtlSeconds } : {}),
      ...(options.stateTtlSeconds ? { stateTtlSeconds: options.stateTtlSeconds } : {}),
      ...(options.stateRecheckAfterMs !== undefined
        ? { stateRecheckAfterMs: options.stateRecheckAfterMs }
        : {}),
      ...(options.rpcDeadlineMs ? { rpcDeadlineMs: options.rpcDeadlineMs } : {}),
      ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      ...(options.confirmTimeoutMs ? { confirmTimeoutMs: options.confirmTimeoutMs } : {}),
      ...(options.rateLimitCooldownMs !== undefined
        ? { rateLimitCooldownMs: options.rateLimitCooldownMs }
        : {}),
      ...(options.maxLongPollsPerTenant !== undefined
        ? { maxLongPollsPerTenant: options.maxLongPollsPerTenant }
        : {}),
      ...(options.defaultMetrics ? { defaultMetrics: true } : {}),
    });
    try {
      await gateway.start();
      await gateway.app.listen({ host, port: options.port ?? 0 });
    } catch (err) {
      await gateway.close().catch(() => undefined);
      throw err;
    }
    const address = gateway.app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
    const tlsReloader =
      tls && options.tls
        ? watchTlsFiles({
            files: options.tls,
            initial: tls,
            server: gateway.app.server as unknown as TlsServer,
            logger,
            metrics: gateway.context.metrics,
            ...(options.tlsPollMs ? { pollMs: options.tlsPollMs } : {}),
          })
        : undefined;
    if (!options.publicUrl) {
      gateway.context.publicUrl = url;
      if (!options.issuer) gateway.context.issuer = url;
    }
    return {
      url,
      gateway,
      ...(tlsReloader ? { tls: tlsReloader } : {}),
      async close() {
        tlsReloader?.close();
        await gateway.close();
        await Promise.allSettled([redis.quit(), subscriber.quit()]);
        cleanupRedis();
      },
    };
  } catch (err) {
    cleanupRedis();
    throw err;
  }
}
