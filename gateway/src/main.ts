import { startTracing, type Tracing } from '@stargate/telemetry';
import { readGatewayEnv } from './config/env.js';
import { startGateway } from './index.js';
import { createLogger } from './observability/logger.js';

/** Container entry point: env → running gateway; SIGTERM/SIGINT drain and exit 0. */
async function main(): Promise<void> {
  let env: ReturnType<typeof readGatewayEnv>;
  let tracing: Tracing;
  try {
    env = readGatewayEnv();
    tracing = startTracing({ serviceName: 'stargate-gateway', env: process.env });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ level: env.logLevel });
  const running = await startGateway({
    ...(env.config.kind === 'file'
      ? { configFile: env.config.path }
      : { kubernetes: { namespace: env.config.namespace, name: env.config.name } }),
    redisUrl: env.redisUrl,
    redisPrefix: env.redisPrefix,
    redisTopology: env.redisTopology,
    amqpUrl: env.amqpUrl,
    ...(env.amqpQuorumInitialGroupSize ? { quorumInitialGroupSize: env.amqpQuorumInitialGroupSize } : {}),
    host: env.host,
    port: env.port,
    ...(env.tls ? { tls: env.tls } : {}),
    publicUrl: env.publicUrl,
    issuer: env.issuer,
    audience: env.audience,
    signingKeysDir: env.signingKeysDir,
    logger,
    idempotencyTtlSeconds: env.idempotencyTtlSeconds,
    stateTtlSeconds: env.stateTtlSeconds,
    stateRecheckAfterMs: env.stateRecheckSeconds * 1000,
    maxLongPollsPerTenant: env.longPollsPerTenant,
    defaultMetrics: true,
  });
  logger.info(
    {
      event: 'gateway.listening',
      url: running.url,
      publicUrl: env.publicUrl,
      ...(running.tls ? { tlsFingerprint256: running.tls.current().fingerprint256 } : {}),
    },
    'gateway listening',
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'gateway.draining', signal }, 'draining');
    running
      .close()
      // Spans of the drained requests are flushed last.
      .then(() => tracing.close())
      .then(
        () => process.exit(0),
        (err) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`gateway failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
