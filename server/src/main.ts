/** Entry point of a server worker: `node server/dist/main.js` (settings from the environment). */
import { startTracing } from '@stargate/telemetry';
import pino from 'pino';
import { readServerEnv } from './config/env.js';
import { startServer } from './server.js';

const bootLogger = pino({ name: 'stargate-server' });

async function main(): Promise<void> {
  const env = await readServerEnv(process.env);
  const logger = pino({ name: 'stargate-server', level: env.logLevel });
  const tracing = startTracing({ serviceName: 'stargate-server', env: process.env });
  if (tracing.endpoint) logger.info({ endpoint: tracing.endpoint }, 'exporting traces');
  const server = await startServer({
    amqpUrl: env.amqpUrl,
    ...(env.quorumInitialGroupSize ? { quorumInitialGroupSize: env.quorumInitialGroupSize } : {}),
    mongoUrl: env.mongoUrl,
    dbName: env.dbName,
    processTypes: env.processTypes,
    ...(env.serverConfig ? { serverConfig: env.serverConfig } : {}),
    encryptionKeys: env.encryptionKeys,
    healthPort: env.healthPort,
    shutdownGraceSeconds: env.shutdownGraceSeconds,
    leaseSeconds: env.leaseSeconds,
    logger,
  });
  logger.info({ healthPort: server.healthPort }, 'worker running');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    server
      .close()
      .then(() => tracing.close())
      .then(
        () => process.exit(0),
        (err: Error) => {
          logger.error({ err }, 'unclean shutdown');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: Error) => {
  bootLogger.fatal({ err: err.message }, 'cannot start');
  process.exit(1);
});
