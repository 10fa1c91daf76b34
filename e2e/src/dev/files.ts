/**
 * `make dev-files`: StarGate without Kubernetes, for machines where the API server cannot be
 * built. Renders the gateway and server configuration from examples/ (the same Tenant and
 * ProcessType resources the operator reads), starts a gateway and a server worker on the
 * development services, and runs the demo client with the secrets of
 * examples/dev/credentials.yaml.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEV_CREDENTIALS_FILE, renderFolder } from '@stargate/operator';
import { parse as parseYaml } from 'yaml';
import { freePort, REPO_ROOT, startProcess } from '../support/stack.js';
import { say } from './console.js';
import { ensureVhost } from './control-plane.js';
import { runDemo } from './demo.js';
import type { DevRun } from './run.js';
import { deleteStores } from './teardown.js';

export async function runFiles(run: DevRun): Promise<number> {
  const { settings: s } = run;
  const examples = join(REPO_ROOT, 'examples');
  const { gatewayConfig, serverConfig } = await renderFolder(examples);
  const gatewayConfigFile = join(s.dataDir, 'gateway-config.json');
  const serverConfigFile = join(s.dataDir, 'server-config.json');
  await writeFile(gatewayConfigFile, `${JSON.stringify(gatewayConfig, null, 2)}\n`);
  await writeFile(serverConfigFile, `${JSON.stringify(serverConfig, null, 2)}\n`);
  const secrets = (
    parseYaml(await readFile(join(examples, DEV_CREDENTIALS_FILE), 'utf8')) as {
      clientSecrets: Record<string, string>;
    }
  ).clientSecrets;

  const slice = {
    vhost: s.slice,
    amqpUrl: await ensureVhost(s.amqpUrl, s.slice),
    mongoUrl: s.mongoUrl,
    mongoDb: s.slice.replaceAll('-', '_'),
    redisUrl: s.redisUrl,
    redisPrefix: s.slice,
  };
  const healthPort = await freePort();
  const worker = run.track(
    startProcess('server', 'server/dist/main.js', {
      STARGATE_AMQP_URL: slice.amqpUrl,
      STARGATE_MONGO_URL: s.mongoUrl,
      STARGATE_MONGO_DB: slice.mongoDb,
      STARGATE_PROCESS_TYPES: serverConfig.processTypes.map((p) => p.name).join(','),
      STARGATE_SERVER_CONFIG_FILE: serverConfigFile,
      STARGATE_HEALTH_PORT: String(healthPort),
      STARGATE_LOG_LEVEL: s.logLevel,
    }),
  );
  const gateway = run.track(
    startProcess('gateway', 'gateway/dist/main.js', {
      ...run.gatewayEnv(slice.redisPrefix, slice.amqpUrl),
      STARGATE_CONFIG_FILE: gatewayConfigFile,
    }),
  );
  await run.waitReady(worker, `http://127.0.0.1:${healthPort}/health/ready`, 'server worker');
  await run.waitReady(gateway, `${s.baseUrl}/health/ready`, 'gateway');

  const acme = gatewayConfig.tenants.find((t) => t.id === 'acme') ?? gatewayConfig.tenants[0];
  if (!acme) throw new Error('examples/ defines no tenant');
  const secret = secrets[acme.id];
  if (!secret) throw new Error(`examples/${DEV_CREDENTIALS_FILE} has no client secret for tenant ${acme.id}`);

  say('');
  say(
    `StarGate is running (configuration rendered from files, no operator): gateway ${s.baseUrl}, server worker health http://127.0.0.1:${healthPort}/health/ready`,
  );
  say(`tenants: ${gatewayConfig.tenants.map((t) => `${t.id} (client id ${t.clientId})`).join(', ')}`);
  say(`process types: ${gatewayConfig.processTypes.map((p) => p.name).join(', ')}`);
  say('');
  say('demo client (SDK) for tenant acme:');
  const completed = await runDemo(
    { baseUrl: s.baseUrl, clientId: acme.clientId, clientSecret: secret },
    s.dataDir,
  );
  say('');
  run.tryItYourself(acme.clientId, secret);
  if (s.teardown) await deleteStores(slice);
  return completed >= 2 ? 0 : 1;
}
