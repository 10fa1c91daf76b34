/**
 * A private three-node RabbitMQ cluster on loopback, from Debian's rabbitmq-server, for tests
 * of StarGate riding through the loss of a broker node. Started the way tools/services.sh
 * starts the shared node (same environment variables, management plugin, crash dump in the
 * data folder), with every port of its own — AMQP, management, Erlang distribution and even
 * epmd — so it never touches the shared node on 5679/15679.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually, freePort } from './index.js';

const run = promisify(execFile);
const RABBIT_BIN = '/usr/lib/rabbitmq/bin';

export interface RabbitNode {
  /** Erlang node name, e.g. rabbit-sg-ab12cd-1@localhost. */
  name: string;
  amqpPort: number;
  mgmtPort: number;
  distPort: number;
  /** amqp://guest:guest@127.0.0.1:<port> */
  url: string;
  /** http://127.0.0.1:<port> (guest/guest) */
  mgmtUrl: string;
}

export interface RabbitCluster {
  nodes: readonly RabbitNode[];
  /** Every node's AMQP URL (a vhost path appended when given). */
  urls(vhost?: string): string[];
  /** The same, joined by commas: the form STARGATE_AMQP_URL accepts. */
  urlList(vhost?: string): string;
  /** Creates a vhost (with full permissions for guest) on the cluster. */
  createVhost(name: string): Promise<void>;
  /** SIGKILL: the node's Erlang VM dies at once, as on a crash or power loss. */
  kill(node: number): Promise<void>;
  /** Graceful stop (SIGTERM to the VM: RabbitMQ shuts down in order). */
  stop(node: number): Promise<void>;
  /** Starts a stopped or killed node again; resolves once it answers and is back in the cluster. */
  restart(node: number): Promise<void>;
  isRunning(node: number): boolean;
  /** Index of the node leading a quorum queue (management API `leader`); undefined when none answers. */
  leaderOf(vhost: string, queue: string): Promise<number | undefined>;
  /** Milliseconds the three nodes took from spawn to a formed cluster. */
  coldStartMs: number;
  /** Stops every node (SIGKILL), epmd too, and deletes the data. */
  teardown(): Promise<void>;
}

/** Ids of the epmd daemons started with ERL_EPMD_PORT=`port` (Linux /proc). */
async function ownEpmds(port: number): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const found: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = (await readFile(`/proc/${entry}/comm`, 'utf8')).trim();
      if (comm !== 'epmd') continue;
      const environ = (await readFile(`/proc/${entry}/environ`, 'utf8')).split('\0');
      if (environ.includes(`ERL_EPMD_PORT=${port}`)) found.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

const AUTH = `Basic ${Buffer.from('guest:guest').toString('base64')}`;

async function mgmtGet(base: string, path: string): Promise<Response> {
  return fetch(`${base}/api/${path}`, {
    headers: { authorization: AUTH },
    signal: AbortSignal.timeout(3000),
  });
}

/**
 * Starts three RabbitMQ nodes and joins the second and third to the first. Cold start on a
 * loaded two-core machine: about 20–40 s (each node boots in 5–15 s; the joins restart the
 * application of two nodes).
 */
export async function privateRabbitCluster(size = 3): Promise<RabbitCluster> {
  const id = randomBytes(3).toString('hex');
  const base = process.env.STARGATE_DATA_DIR ?? tmpdir();
  const dir = join(base, 'rabbit-clusters', id);
  const home = join(dir, 'home');
  await mkdir(home, { recursive: true });
  // One cookie for the nodes and for rabbitmqctl: both read $HOME/.erlang.cookie.
  const cookie = join(home, '.erlang.cookie');
  await writeFile(cookie, randomBytes(16).toString('hex').toUpperCase());
  await chmod(cookie, 0o400);
  const epmdPort = await freePort();
  const nodes: RabbitNode[] = [];
  const used = new Set<number>([epmdPort]);
  const port = async () => {
    for (;;) {
      const p = await freePort();
      if (!used.has(p)) {
        used.add(p);
        return p;
      }
    }
  };
  for (let i = 1; i <= size; i++) {
    const amqpPort = await port();
    const mgmtPort = await port();
    const distPort = await port();
    nodes.push({
      name: `rabbit-sg-${id}-${i}@localhost`,
      amqpPort,
      mgmtPort,
      distPort,
      url: `amqp://guest:guest@127.0.0.1:${amqpPort}`,
      mgmtUrl: `http://127.0.0.1:${mgmtPort}`,
    });
  }

  const baseEnv = (): NodeJS.ProcessEnv => ({
    ...process.env,
    HOME: home,
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_EPMD_PORT: String(epmdPort),
  });
  const nodeEnv = (i: number): NodeJS.ProcessEnv => {
    const n = nodes[i] as RabbitNode;
    const d = join(dir, `node-${i + 1}`);
    return {
      ...baseEnv(),
      RABBITMQ_NODENAME: n.name,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(n.amqpPort),
      RABBITMQ_DIST_PORT: String(n.distPort),
      RABBITMQ_MNESIA_BASE: join(d, 'mnesia'),
      RABBITMQ_LOG_BASE: join(d, 'log'),
      RABBITMQ_CONFIG_FILE: join(d, 'rabbitmq'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(d, 'enabled_plugins'),
      RABBITMQ_PID_FILE: join(d, 'beam.pid'),
      ERL_CRASH_DUMP: join(d, 'log', 'erl_crash.dump'),
    };
  };
  const ctl = async (i: number, ...args: string[]) => {
    const n = nodes[i] as RabbitNode;
    await run(`${RABBIT_BIN}/rabbitmqctl`, ['-n', n.name, ...args], {
      env: baseEnv(),
      timeout: 120_000,
    });
  };

  const children: (ChildProcess | undefined)[] = nodes.map(() => undefined);
  const beams: (number | undefined)[] = nodes.map(() => undefined);

  const ready = async (i: number) => {
    const res = await mgmtGet((nodes[i] as RabbitNode).mgmtUrl, 'overview').catch(() => undefined);
    return res?.ok === true;
  };

  async function spawnNode(i: number): Promise<void> {
    const n = nodes[i] as RabbitNode;
    const d = join(dir, `node-${i + 1}`);
    await mkdir(join(d, 'mnesia'), { recursive: true });
    await mkdir(join(d, 'log'), { recursive: true });
    await writeFile(
      join(d, 'rabbitmq.conf'),
      [
        `listeners.tcp.default = 127.0.0.1:${n.amqpPort}`,
        'management.tcp.ip = 127.0.0.1',
        `management.tcp.port = ${n.mgmtPort}`,
        'loopback_users = none',
        'vm_memory_high_watermark.relative = 0.1',
        'disk_free_limit.absolute = 200MB',
        '',
      ].join('\n'),
    );
    await writeFile(join(d, 'enabled_plugins'), '[rabbitmq_management].\n');
    const child = spawn(`${RABBIT_BIN}/rabbitmq-server`, [], {
      env: nodeEnv(i),
      stdio: 'ignore',
      detached: true,
    });
    child.once('error', () => undefined);
    children[i] = child;
    await eventually(() => ready(i), 180_000, 250);
    beams[i] = Number((await readFile(join(d, 'beam.pid'), 'utf8')).trim());
  }

  const alive = (pid: number | undefined) => {
    if (!pid) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  async function waitGone(i: number): Promise<void> {
    const pid = beams[i];
    await eventually(() => !alive(pid), 60_000, 100);
    const child = children[i];
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    beams[i] = undefined;
    children[i] = undefined;
  }

  const runningNodes = async (i: number): Promise<number> => {
    const res = await mgmtGet((nodes[i] as RabbitNode).mgmtUrl, 'nodes');
    if (!res.ok) return 0;
    const list = (await res.json()) as { running?: boolean }[];
    return list.filter((n) => n.running).length;
  };

  async function killAll(): Promise<void> {
    for (const [i, pid] of beams.entries()) {
      if (alive(pid)) process.kill(pid as number, 'SIGKILL');
      const child = children[i];
      if (child?.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    // Our own epmd (started by the first node on its private port; `epmd -kill` refuses while
    // it still lists a node): found by the port in its environment, ended by its id.
    for (const pid of await ownEpmds(epmdPort)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  const started = Date.now();
  try {
    await spawnNode(0);
    await Promise.all(nodes.slice(1).map((_, k) => spawnNode(k + 1)));
    for (let i = 1; i < nodes.length; i++) {
      await ctl(i, 'stop_app');
      await ctl(i, 'join_cluster', (nodes[0] as RabbitNode).name);
      await ctl(i, 'start_app');
    }
    await eventually(async () => (await runningNodes(0)) === nodes.length, 120_000, 250);
  } catch (err) {
    await killAll();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const coldStartMs = Date.now() - started;

  const check = (i: number) => {
    if (!Number.isInteger(i) || i < 0 || i >= nodes.length) throw new Error(`no node ${i}`);
  };
  const live = () => nodes.map((_, i) => i).filter((i) => alive(beams[i]));

  const urls = (vhost?: string) =>
    nodes.map((n) => (vhost === undefined ? n.url : `${n.url}/${encodeURIComponent(vhost)}`));
  return {
    nodes,
    coldStartMs,
    urls,
    urlList: (vhost) => urls(vhost).join(','),
    async createVhost(name) {
      const i = live()[0];
      if (i === undefined) throw new Error('no node is running');
      const base = (nodes[i] as RabbitNode).mgmtUrl;
      const put = async (path: string, body: unknown) => {
        const res = await fetch(`${base}/api/${path}`, {
          method: 'PUT',
          headers: { authorization: AUTH, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        if (!res.ok) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
      };
      await put(`vhosts/${encodeURIComponent(name)}`, {});
      await put(`permissions/${encodeURIComponent(name)}/guest`, {
        configure: '.*',
        write: '.*',
        read: '.*',
      });
    },
    isRunning: (i) => alive(beams[i]),
    async kill(i) {
      check(i);
      const pid = beams[i];
      if (alive(pid)) process.kill(pid as number, 'SIGKILL');
      await waitGone(i);
    },
    async stop(i) {
      check(i);
      const pid = beams[i];
      if (alive(pid)) process.kill(pid as number, 'SIGTERM');
      await waitGone(i);
    },
    async restart(i) {
      check(i);
      if (alive(beams[i])) return;
      await spawnNode(i);
      await eventually(async () => (await runningNodes(i)) === live().length, 120_000, 250);
    },
    async leaderOf(vhost, queue) {
      for (const i of live()) {
        const res = await mgmtGet(
          (nodes[i] as RabbitNode).mgmtUrl,
          `queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}`,
        ).catch(() => undefined);
        if (!res?.ok) continue;
        const q = (await res.json()) as { leader?: string; node?: string };
        const leader = q.leader ?? q.node;
        const index = nodes.findIndex((n) => n.name === leader);
        if (index >= 0) return index;
      }
      return undefined;
    },
    async teardown() {
      await killAll();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
