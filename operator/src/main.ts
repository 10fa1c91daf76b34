import { readFile, writeFile } from 'node:fs/promises';
import type { GatewayConfig } from '@stargate/contracts';
import { dirname, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { startTracing, TelemetryConfigError } from '@stargate/telemetry';
import { pino } from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { startHealthServer } from './health.js';
import { createKubeClient } from './kube/client.js';
import { startOperator } from './operator.js';
import { RenderError, renderFolder } from './render.js';

const USAGE =
  'usage: node operator/dist/main.js [run] | render <dir> [-o gateway-config.json] [-s server-config.json]';

async function readPrevious(file: string): Promise<GatewayConfig | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as GatewayConfig;
  } catch {
    return undefined;
  }
}

async function render(args: string[]): Promise<void> {
  let dir: string | undefined;
  let out: string | undefined;
  let serverOut: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-o' || a === '--output') out = args[++i];
    else if (a === '-s' || a === '--server-output') serverOut = args[++i];
    else if (!dir && a && !a.startsWith('-')) dir = a;
    else throw new RenderError(`unexpected argument "${a}"\n${USAGE}`);
  }
  if (!dir) throw new RenderError(USAGE);
  // Rendering over an earlier output keeps its hashes (and revision) for unchanged secrets.
  const previous = out ? await readPrevious(out) : undefined;
  const { gatewayConfig, serverConfig } = await renderFolder(dir, previous ? { previous } : {});
  const gw = `${JSON.stringify(gatewayConfig, null, 2)}\n`;
  if (!out) {
    process.stdout.write(gw);
    if (serverOut) await writeFile(serverOut, `${JSON.stringify(serverConfig, null, 2)}\n`);
    return;
  }
  await writeFile(out, gw);
  await writeFile(
    serverOut ?? join(dirname(out), 'server-config.json'),
    `${JSON.stringify(serverConfig, null, 2)}\n`,
  );
}

async function run(): Promise<void> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel, base: { component: 'stargate-operator' } });
  const tracing = startTracing({ serviceName: 'stargate-operator', env: process.env });
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const operator = startOperator({
    client: createKubeClient(kc),
    config,
    logger,
    onLostLeadership() {
      // Like controller-runtime: a replica that lost the lease must not reconcile another moment.
      logger.fatal('leadership lost; exiting');
      process.exit(1);
    },
  });
  const health = await startHealthServer({
    port: config.healthPort,
    ready: () => operator.ready(),
    registry: operator.metrics.registry,
  });
  logger.info({ healthPort: health.port(), identity: config.identity }, 'operator started');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await operator.close();
    await health.close();
    await tracing.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

const [command = 'run', ...rest] = process.argv.slice(2);
const task =
  command === 'render' ? render(rest) : command === 'run' ? run() : Promise.reject(new RenderError(USAGE));
task.catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof RenderError || err instanceof TelemetryConfigError) {
    process.stderr.write(`stargate-operator: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `stargate-operator: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
