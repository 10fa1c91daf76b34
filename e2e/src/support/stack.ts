/**
 * A whole StarGate stack as separate processes — gateways and server workers started from
 * their compiled entry points with the same environment variables production uses — on an
 * isolated slice of the real services (own vhost, Redis prefix, MongoDB database).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayConfig, ServerConfig } from '@stargate/contracts';
import {
  createVhost,
  eventually,
  freePort,
  mongoDatabase,
  redisPrefix,
  serviceEnv,
  type Vhost,
} from '@stargate/testkit';

export { freePort };

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Output so far (stdout + stderr), for assertions and failure messages. */
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

export function startProcess(name: string, script: string, env: Record<string, string>): ManagedProcess {
  const child = spawn(process.execPath, [join(REPO_ROOT, script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | string>((res) =>
    child.once('exit', (code, signal) => res(code ?? signal ?? -1)),
  );
  return {
    name,
    child,
    output: () => out,
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface TenantCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export interface StackOptions {
  gatewayConfig: GatewayConfig;
  serverConfig: ServerConfig;
  credentials: TenantCredentials[];
  gateways?: number;
  workers?: number;
  /** Override service URLs (e.g. a private Redis for a failure test). */
  redisUrl?: string;
  amqpBaseUrl?: string;
  mongoUrl?: string;
  extraGatewayEnv?: Record<string, string>;
  extraServerEnv?: Record<string, string>;
}

export interface Stack {
  gatewayUrls: string[];
  gateways: ManagedProcess[];
  workers: ManagedProcess[];
  vhost: Vhost | undefined;
  amqpUrl: string;
  mongo: { url: string; dbName: string };
  redisPrefix: string;
  credentials: TenantCredentials[];
  configFile: string;
  startGateway(index?: number): Promise<ManagedProcess>;
  startWorker(): Promise<ManagedProcess>;
  token(tenantId: string, scope?: string): Promise<string>;
  close(): Promise<void>;
}

function vhostUrl(base: string, name: string): string {
  const u = new URL(base);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}

async function dropMongo(mongo: { url: string; dbName: string }): Promise<void> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(mongo.url, { serverSelectionTimeoutMS: 3000 });
  try {
    await client.db(mongo.dbName).dropDatabase();
  } finally {
    await client.close();
  }
}

async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const env = serviceEnv();
  const dir = await mkdtemp(join(tmpdir(), 'stargate-stack-'));
  const keysDir = join(dir, 'keys');
  await (await import('node:fs/promises')).mkdir(keysDir);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await writeFile(join(keysDir, 'k1.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const configFile = join(dir, 'gateway-config.json');
  await writeFile(configFile, JSON.stringify(opts.gatewayConfig, null, 2));
  const serverConfigFile = join(dir, 'server-config.json');
  await writeFile(serverConfigFile, JSON.stringify(opts.serverConfig, null, 2));

  let vhost: Vhost | undefined;
  let amqpUrl: string;
  if (opts.amqpBaseUrl) {
    amqpUrl = opts.amqpBaseUrl;
  } else {
    vhost = await createVhost('e2e');
    amqpUrl = vhostUrl(env.amqpUrl, vhost.name);
  }
  const mongo = opts.mongoUrl
    ? { url: opts.mongoUrl, dbName: mongoDatabase('e2e').dbName }
    : mongoDatabase('e2e');
  const prefix = redisPrefix('e2e');
  const types = opts.serverConfig.processTypes.map((p) => p.name).join(',');

  const gatewayPorts: number[] = [];
  const gateways: ManagedProcess[] = [];
  const workers: ManagedProcess[] = [];

  const gatewayEnv = (port: number): Record<string, string> => ({
    STARGATE_GATEWAY_HOST: '127.0.0.1',
    STARGATE_GATEWAY_PORT: String(port),
    STARGATE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    STARGATE_TOKEN_ISSUER: 'http://stargate.test',
    STARGATE_TOKEN_AUDIENCE: 'stargate-api',
    STARGATE_REDIS_URL: opts.redisUrl ?? env.redisUrl,
    STARGATE_REDIS_PREFIX: prefix,
    STARGATE_AMQP_URL: amqpUrl,
    STARGATE_CONFIG_FILE: configFile,
    STARGATE_SIGNING_KEYS_DIR: keysDir,
    STARGATE_LOG_LEVEL: process.env.STARGATE_E2E_LOG_LEVEL ?? 'warn',
    ...opts.extraGatewayEnv,
  });

  async function startGateway(index?: number): Promise<ManagedProcess> {
    const i = index ?? gatewayPorts.length;
    gatewayPorts[i] ??= await freePort();
    const port = gatewayPorts[i]!;
    const p = startProcess(`gateway-${i}`, 'gateway/dist/main.js', gatewayEnv(port));
    gateways[i] = p;
    await eventually(
      async () => {
        if (p.child.exitCode !== null) throw new Error(`gateway exited: ${p.output()}`);
        const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
        return res.ok;
      },
      60_000,
      100,
    );
    return p;
  }

  async function startWorker(): Promise<ManagedProcess> {
    const healthPort = await freePort();
    const p = startProcess(`worker-${workers.length}`, 'server/dist/main.js', {
      STARGATE_AMQP_URL: amqpUrl,
      STARGATE_MONGO_URL: mongo.url,
      STARGATE_MONGO_DB: mongo.dbName,
      STARGATE_PROCESS_TYPES: types,
      STARGATE_SERVER_CONFIG_FILE: serverConfigFile,
      STARGATE_HEALTH_PORT: String(healthPort),
      STARGATE_LOG_LEVEL: process.env.STARGATE_E2E_LOG_LEVEL ?? 'warn',
      STARGATE_SHUTDOWN_GRACE_SECONDS: '10',
      // A killed worker's processes run again once its lease expires.
      STARGATE_LEASE_SECONDS: '5',
      ...opts.extraServerEnv,
    });
    workers.push(p);
    await eventually(
      async () => {
        if (p.child.exitCode !== null) throw new Error(`worker exited: ${p.output()}`);
        const res = await fetch(`http://127.0.0.1:${healthPort}/health/ready`);
        return res.ok;
      },
      60_000,
      100,
    );
    return p;
  }

  const stack: Stack = {
    get gatewayUrls() {
      return gatewayPorts.map((p) => `http://127.0.0.1:${p}`);
    },
    gateways,
    workers,
    vhost,
    amqpUrl,
    mongo,
    redisPrefix: prefix,
    credentials: opts.credentials,
    configFile,
    startGateway,
    startWorker,
    async token(tenantId, scope) {
      const cred = opts.credentials.find((c) => c.tenantId === tenantId);
      if (!cred) throw new Error(`no credentials for tenant ${tenantId}`);
      const body = new URLSearchParams({ grant_type: 'client_credentials' });
      if (scope) body.set('scope', scope);
      const res = await fetch(`${stack.gatewayUrls[0]}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${cred.clientId}:${cred.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body,
      });
      if (!res.ok) throw new Error(`token for ${tenantId}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { access_token: string }).access_token;
    },
    async close() {
      await Promise.all([...gateways, ...workers].map((p) => p.kill('SIGTERM')));
      if (vhost) await vhost.close().catch(() => undefined);
      await dropMongo(mongo).catch(() => undefined);
      await dropRedisPrefix(opts.redisUrl ?? env.redisUrl, prefix).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };

  for (let i = 0; i < (opts.workers ?? 1); i++) await startWorker();
  for (let i = 0; i < (opts.gateways ?? 1); i++) await startGateway();
  return stack;
}
