/**
 * Helpers for tests that use the real development services started by tools/services.sh.
 * Every helper hands out an isolated slice (vhost, key prefix, database, namespace) and a
 * cleanup, so test files run in parallel and leave nothing behind.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { rabbitManagement } from './rabbit-management.js';

export { type RabbitManagement, rabbitManagement } from './rabbit-management.js';

const run = promisify(execFile);

export interface ServiceEnv {
  redisUrl: string;
  amqpUrl: string;
  rabbitMgmtUrl: string;
  mongoUrl: string;
  kubeconfig: string;
  helm: string;
  kubectl: string;
  servicesScript: string;
}

function need(name: string): string {
  const v = process.env[name];
  if (!v)
    throw new Error(
      `${name} is not set: run the tests through \`make test\` (it starts the services and exports it)`,
    );
  return v;
}

export function serviceEnv(): ServiceEnv {
  return {
    redisUrl: need('STARGATE_REDIS_URL'),
    amqpUrl: need('STARGATE_AMQP_URL'),
    rabbitMgmtUrl: need('STARGATE_RABBIT_MGMT_URL'),
    mongoUrl: need('STARGATE_MONGO_URL'),
    kubeconfig: need('KUBECONFIG'),
    helm: need('STARGATE_HELM'),
    kubectl: need('STARGATE_KUBECTL'),
    servicesScript: need('STARGATE_SERVICES_SCRIPT'),
  };
}

/** A short unique name, safe for vhosts, key prefixes, database names and namespaces. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`.toLowerCase();
}

const management = () => rabbitManagement(serviceEnv().rabbitMgmtUrl);

export interface Vhost {
  name: string;
  /** amqp URL of the vhost. */
  url: string;
  /** Queue depth (ready + unacked) as the management API reports it; -1 when the queue does not exist. */
  queueDepth(queue: string): Promise<number>;
  close(): Promise<void>;
}

/** A fresh RabbitMQ vhost with full permissions for the test user. */
export async function createVhost(prefix = 'test'): Promise<Vhost> {
  const name = uniqueName(prefix);
  const url = await management().ensureVhost(serviceEnv().amqpUrl, name);
  return {
    name,
    url,
    async queueDepth(queue) {
      const res = await management().call(
        'GET',
        `queues/${encodeURIComponent(name)}/${encodeURIComponent(queue)}`,
      );
      if (res.status === 404) return -1;
      const q = (await res.json()) as { messages?: number };
      return q.messages ?? 0;
    },
    async close() {
      await management().deleteVhost(name);
    },
  };
}

/** A fresh MongoDB database name and URL on the MongoDB-wire server. */
export function mongoDatabase(prefix = 'test'): { url: string; dbName: string } {
  return { url: serviceEnv().mongoUrl, dbName: uniqueName(prefix).replaceAll('-', '_') };
}

/** A fresh Redis key prefix; `cleanup` deletes every key under it. */
export function redisPrefix(prefix = 'test'): string {
  return uniqueName(prefix);
}

/**
 * Polls `fn` until it returns a truthy value or `timeoutMs` passes. For eventual outcomes, not
 * timing: the deadline only bounds how long a broken system is waited for on a loaded machine.
 */
export async function eventually<T>(
  fn: () => Promise<T> | T,
  timeoutMs = 45_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface PrivateService {
  /** Connection URL of this instance. */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  close(): Promise<void>;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A private instance of one service, for failure tests that stop and restart it without
 * disturbing the tests running beside them on the shared instance.
 */
export async function privateService(
  kind: 'redis' | 'rabbitmq' | 'mongo' | 'ferretdb',
  /** FerretDB only: require authentication, with this user administrator in `admin`. */
  options: { root?: { username: string; password: string } } = {},
): Promise<PrivateService> {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dataDir = await mkdtemp(join(tmpdir(), `stargate-${kind}-`));
  const env: Record<string, string> = { ...process.env, STARGATE_DATA_DIR: dataDir } as Record<
    string,
    string
  >;
  let url: string;
  if (kind === 'redis') {
    const port = await freePort();
    env.STARGATE_REDIS_PORT = String(port);
    url = `redis://127.0.0.1:${port}`;
  } else if (kind === 'mongo' || kind === 'ferretdb') {
    const port = await freePort();
    env[kind === 'mongo' ? 'STARGATE_MONGO_PORT' : 'STARGATE_FERRETDB_PORT'] = String(port);
    // Stopped and started again by the failure tests: the store must keep its data (H2 file).
    if (kind === 'mongo') env.STARGATE_MONGO_BACKEND = 'h2';
    if (kind === 'ferretdb' && options.root) {
      env.STARGATE_FERRETDB_ROOT_USERNAME = options.root.username;
      env.STARGATE_FERRETDB_ROOT_PASSWORD = options.root.password;
    }
    url = `mongodb://127.0.0.1:${port}`;
  } else {
    // The Erlang distribution port is AMQP + 20000; keep both in range.
    let port = await freePort();
    while (port + 20000 > 65535) port = await freePort();
    env.STARGATE_AMQP_PORT = String(port);
    env.STARGATE_RABBIT_MGMT_PORT = String(await freePort());
    url = `amqp://guest:guest@127.0.0.1:${port}`;
  }
  const script = serviceEnv().servicesScript;
  const call = (action: string) =>
    run('bash', [script, action, kind], { env, timeout: 300_000 }).then(() => undefined);
  await call('up');
  return {
    url,
    stop: () => call('down'),
    start: () => call('up'),
    async close() {
      await call('down').catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RedisTopologyInstance {
  /** `host:port` of every node (cluster) or every sentinel (sentinel). */
  nodes: { host: string; port: number }[];
  /** Sentinel only: the monitored master's name. */
  masterName?: string;
  close(): Promise<void>;
}

async function spawnRedis(args: string[]): Promise<import('node:child_process').ChildProcess> {
  const { spawn } = await import('node:child_process');
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  child.once('error', () => undefined);
  return child;
}

async function redisPing(port: number): Promise<boolean> {
  try {
    const { stdout } = await run('redis-cli', ['-p', String(port), 'ping'], { timeout: 2000 });
    return stdout.trim() === 'PONG';
  } catch {
    return false;
  }
}

/**
 * A private three-master Redis Cluster on loopback (the Debian redis-server in cluster mode),
 * for tests of the gateway against the topology production may use.
 */
export async function privateRedisCluster(): Promise<RedisTopologyInstance> {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(`${tmpdir()}/stargate-redis-cluster-`);
  const ports = [await freePort(), await freePort(), await freePort()];
  const children = await Promise.all(
    ports.map((port) =>
      spawnRedis([
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
      ]),
    ),
  );
  const close = async () => {
    for (const c of children) c.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) await eventually(() => redisPing(port), 20_000, 100);
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 60_000 },
    );
    await eventually(
      async () => {
        const { stdout } = await run('redis-cli', ['-p', String(ports[0]), 'cluster', 'info']);
        return stdout.includes('cluster_state:ok');
      },
      30_000,
      100,
    );
  } catch (err) {
    await close();
    throw err;
  }
  return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), close };
}

/** A private Redis master watched by one Sentinel (redis-server in sentinel mode) on loopback. */
export async function privateRedisSentinel(): Promise<RedisTopologyInstance> {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(`${tmpdir()}/stargate-redis-sentinel-`);
  const [masterPort, sentinelPort] = [await freePort(), await freePort()];
  const masterName = 'stargate';
  const master = await spawnRedis([
    '--bind',
    '127.0.0.1',
    '--port',
    String(masterPort),
    '--dir',
    dir,
    '--save',
    '',
  ]);
  await writeFile(
    `${dir}/sentinel.conf`,
    [
      'bind 127.0.0.1',
      `port ${sentinelPort}`,
      `dir ${dir}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${masterName} 5000`,
      '',
    ].join('\n'),
  );
  const sentinel = await spawnRedis([`${dir}/sentinel.conf`, '--sentinel']);
  const close = async () => {
    sentinel.kill('SIGKILL');
    master.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await eventually(() => redisPing(masterPort), 20_000, 100);
    await eventually(
      async () => {
        const { stdout } = await run('redis-cli', [
          '-p',
          String(sentinelPort),
          'sentinel',
          'get-master-addr-by-name',
          masterName,
        ]);
        return stdout.includes(String(masterPort));
      },
      20_000,
      100,
    );
  } catch (err) {
    await close();
    throw err;
  }
  return { nodes: [{ host: '127.0.0.1', port: sentinelPort }], masterName, close };
}
export * from './rabbit-cluster.js';
