/**
 * `make dev`: StarGate on this machine. Renders the gateway and server configuration from
 * examples/ (the same Tenant and ProcessType resources a cluster would get), starts a gateway
 * and server workers as separate processes on the development services, runs a small demo
 * client built on the SDK, prints how to talk to it, and stops everything on Ctrl-C.
 *
 * STARGATE_DEV_PORT (default 8080) moves the gateway; STARGATE_DEV_EXIT_AFTER_DEMO=1 stops
 * after the demo (used by the test of this runner).
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from '@stargate/client-sdk';
import type { ProcessStatusBody } from '@stargate/contracts';
import { DEV_CREDENTIALS_FILE, renderFolder } from '@stargate/operator';
import { parse as parseYaml } from 'yaml';
import { freePort, type ManagedProcess, REPO_ROOT, startProcess } from '../support/stack.js';

interface DevSettings {
  port: number;
  dataDir: string;
  exitAfterDemo: boolean;
  redisUrl: string;
  amqpUrl: string;
  mongoUrl: string;
}

function settings(): DevSettings {
  const need = (name: string) => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set: run this through \`make dev\`, which starts the services`);
    return v;
  };
  const port = Number(process.env.STARGATE_DEV_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error('STARGATE_DEV_PORT must be a TCP port');
  return {
    port,
    dataDir: process.env.STARGATE_DEV_DATA_DIR ?? join(REPO_ROOT, '.data', 'dev'),
    exitAfterDemo: process.env.STARGATE_DEV_EXIT_AFTER_DEMO === '1',
    redisUrl: need('STARGATE_REDIS_URL'),
    amqpUrl: need('STARGATE_AMQP_URL'),
    mongoUrl: need('STARGATE_MONGO_URL'),
  };
}

const say = (line = '') => process.stdout.write(`${line}\n`);

async function waitReady(p: ManagedProcess, url: string, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (p.child.exitCode !== null)
      throw new Error(`${what} exited during start-up:\n${p.output().slice(-4000)}`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${what} did not become ready at ${url}:\n${p.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function portFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function describe(view: ProcessStatusBody): string {
  const progress = view.progress ? ` ${view.progress}%${view.currentStep ? ` ${view.currentStep}` : ''}` : '';
  return `${view.processType} ${view.clientProcessId ?? view.processId}: ${view.status}${progress}`;
}

async function demo(
  baseUrl: string,
  clientId: string,
  clientSecret: string,
  dataDir: string,
): Promise<number> {
  const client = createClient({
    baseUrl,
    clientId,
    clientSecret,
    databasePath: join(dataDir, 'demo-client.sqlite'),
  });
  let completed = 0;
  try {
    const stamp = Date.now().toString(36);
    const submissions = [
      client.submit(
        'order',
        {
          orderId: `demo-${stamp}-1`,
          customerId: 'c-100',
          currency: 'EUR',
          items: [
            { sku: 'WIDGET-1', quantity: 3, unitPrice: 9.5 },
            { sku: 'GADGET-7', quantity: 1, unitPrice: 120 },
          ],
          simulate: { delayMs: 800 },
        },
        { clientProcessId: `demo-${stamp}-order-1` },
      ),
      client.submit(
        'order',
        {
          orderId: `demo-${stamp}-2`,
          customerId: 'c-101',
          items: [{ sku: 'WIDGET-1', quantity: 500, unitPrice: 9.5 }],
        },
        { clientProcessId: `demo-${stamp}-order-2` },
      ),
      client.submit(
        'shipping',
        {
          shipmentId: `demo-${stamp}-s1`,
          orderId: `demo-${stamp}-1`,
          weightKg: 2.4,
          address: {
            name: 'ACME Wareneingang',
            street: 'Hauptstr. 1',
            city: 'Berlin',
            postalCode: '10115',
            country: 'DE',
          },
        },
        { clientProcessId: `demo-${stamp}-shipment-1` },
      ),
    ];
    const handles = await Promise.all(submissions);
    for (const h of handles)
      say(`  submitted ${h.processType} ${h.clientProcessId} → ${h.processId ?? '(queued)'}`);
    await Promise.all(
      handles.map(async (h) => {
        try {
          const view = await h.pollUntilDone({ onProgress: (v) => say(`  … ${describe(v)}`) });
          completed++;
          say(`  ✓ ${describe(view)} → ${JSON.stringify(view.result)}`);
        } catch (err) {
          const e = err as { message?: string; view?: ProcessStatusBody };
          say(
            `  ✗ ${h.processType} ${h.clientProcessId}: ${e.view?.error ? `${e.view.error.code}: ${e.view.error.message}` : e.message}`,
          );
        }
      }),
    );
  } finally {
    await client.close();
  }
  return completed;
}

async function main(): Promise<void> {
  const s = settings();
  await mkdir(join(s.dataDir, 'keys'), { recursive: true });
  if (!(await portFree(s.port))) {
    throw new Error(`port ${s.port} is in use on 127.0.0.1: set STARGATE_DEV_PORT to another port`);
  }

  const examples = join(REPO_ROOT, 'examples');
  const { gatewayConfig, serverConfig } = await renderFolder(examples);
  const gatewayConfigFile = join(s.dataDir, 'gateway-config.json');
  const serverConfigFile = join(s.dataDir, 'server-config.json');
  await writeFile(gatewayConfigFile, `${JSON.stringify(gatewayConfig, null, 2)}\n`);
  await writeFile(serverConfigFile, `${JSON.stringify(serverConfig, null, 2)}\n`);
  const keyFile = join(s.dataDir, 'keys', 'dev-1.pem');
  if (!existsSync(keyFile)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  const secrets = (
    parseYaml(await readFile(join(examples, DEV_CREDENTIALS_FILE), 'utf8')) as {
      clientSecrets: Record<string, string>;
    }
  ).clientSecrets;

  const baseUrl = `http://127.0.0.1:${s.port}`;
  const logLevel = process.env.STARGATE_LOG_LEVEL ?? 'warn';
  const children: ManagedProcess[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('\nstopping StarGate …');
    await Promise.all(children.map((c) => c.kill('SIGTERM')));
    say('stopped.');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const healthPort = await freePort();
    const worker = startProcess('server', 'server/dist/main.js', {
      STARGATE_AMQP_URL: s.amqpUrl,
      STARGATE_MONGO_URL: s.mongoUrl,
      STARGATE_MONGO_DB: 'stargate_dev',
      STARGATE_PROCESS_TYPES: serverConfig.processTypes.map((p) => p.name).join(','),
      STARGATE_SERVER_CONFIG_FILE: serverConfigFile,
      STARGATE_HEALTH_PORT: String(healthPort),
      STARGATE_LOG_LEVEL: logLevel,
    });
    children.push(worker);
    worker.child.stderr?.pipe(process.stderr);
    const gateway = startProcess('gateway', 'gateway/dist/main.js', {
      STARGATE_GATEWAY_HOST: '127.0.0.1',
      STARGATE_GATEWAY_PORT: String(s.port),
      STARGATE_PUBLIC_URL: baseUrl,
      STARGATE_REDIS_URL: s.redisUrl,
      STARGATE_REDIS_PREFIX: 'sg-dev',
      STARGATE_AMQP_URL: s.amqpUrl,
      STARGATE_CONFIG_FILE: gatewayConfigFile,
      STARGATE_SIGNING_KEYS_DIR: join(s.dataDir, 'keys'),
      STARGATE_LOG_LEVEL: logLevel,
    });
    children.push(gateway);
    gateway.child.stderr?.pipe(process.stderr);
    await waitReady(worker, `http://127.0.0.1:${healthPort}/health/ready`, 'server worker');
    await waitReady(gateway, `${baseUrl}/health/ready`, 'gateway');

    const acme = gatewayConfig.tenants.find((t) => t.id === 'acme') ?? gatewayConfig.tenants[0];
    if (!acme) throw new Error('examples/ defines no tenant');
    const secret = secrets[acme.id];
    if (!secret)
      throw new Error(`examples/${DEV_CREDENTIALS_FILE} has no client secret for tenant ${acme.id}`);

    say('');
    say(
      `StarGate is running: gateway ${baseUrl}, server worker health http://127.0.0.1:${healthPort}/health/ready`,
    );
    say(`tenants: ${gatewayConfig.tenants.map((t) => `${t.id} (client id ${t.clientId})`).join(', ')}`);
    say(`process types: ${gatewayConfig.processTypes.map((p) => p.name).join(', ')}`);
    say('');
    say('demo client (SDK) for tenant acme:');
    const completed = await demo(baseUrl, acme.clientId, secret, s.dataDir);
    say(
      `demo: ${completed} of 3 processes completed (the second order asks for more stock than exists, it fails on purpose, with details)`,
    );
    say('');
    say('Try it yourself:');
    say(
      `  TOKEN=$(curl -s -u ${acme.clientId}:${secret} -d grant_type=client_credentials ${baseUrl}/oauth/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
    );
    say(
      `  curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"processType":"order","data":{"orderId":"o-1","customerId":"c-1","items":[{"sku":"A-1","quantity":2,"unitPrice":5}]}}' ${baseUrl}/api/stargate/processes`,
    );
    say(
      `  curl -s -H "Authorization: Bearer $TOKEN" -H 'Prefer: wait=30' ${baseUrl}/api/stargate/processes/<processId>`,
    );
    say(
      `  STARGATE_URL=${baseUrl} STARGATE_CLIENT_ID=${acme.clientId} STARGATE_CLIENT_SECRET=${secret} node client-sdk/dist/cli.js submit order --data @order.json --wait`,
    );
    say(`  OpenAPI: ${baseUrl}/openapi.json   metrics: ${baseUrl}/metrics`);
    say('');
    if (s.exitAfterDemo) {
      await stopAll(completed >= 2 ? 0 : 1);
      return;
    }
    say('Press Ctrl-C to stop.');
    await Promise.race([gateway.exited, worker.exited]).then((code) => {
      if (!stopping) {
        say(`a StarGate process exited unexpectedly (${code}); stopping the rest`);
        void stopAll(1);
      }
    });
  } catch (err) {
    process.stderr.write(`make dev: ${(err as Error).message}\n`);
    await stopAll(1);
  }
}

await main();
