/**
 * The part of `make dev` below StarGate: the development services (tools/services.sh, which
 * builds kube-apiserver and kubectl on a machine's first run), the CRDs, and this run's own
 * slice of the shared services — a namespace, a RabbitMQ vhost, a MongoDB database and a Redis
 * key prefix all named after it, so that `make dev` runs beside the test suites unharmed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { type RabbitManagement, rabbitManagement } from '@stargate/testkit';
import { REPO_ROOT } from '../support/stack.js';
import { say, seconds } from './console.js';
import type { Kubectl } from './kubectl.js';

function tcpOpen(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port: Number(u.port) });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Whether every service `make dev` needs already answers. Then tools/services.sh is not run at
 * all: it rewrites shared files (kubeconfig, RabbitMQ config) that running tests read.
 */
async function servicesHealthy(k: Kubectl): Promise<boolean> {
  const env = process.env;
  if (!env.STARGATE_REDIS_URL || !env.STARGATE_AMQP_URL || !env.STARGATE_MONGO_URL) return false;
  if (!existsSync(k.bin) || !existsSync(k.kubeconfig)) return false;
  const open = await Promise.all(
    [env.STARGATE_REDIS_URL, env.STARGATE_AMQP_URL, env.STARGATE_MONGO_URL].map(tcpOpen),
  );
  if (!open.every(Boolean)) return false;
  return (await k.exec(['get', '--raw', '/readyz'], { namespaced: false, timeoutMs: 10_000 })).code === 0;
}

/** Starts (or finds running) the services `make dev` needs; narrates a first-time build. */
export async function servicesUp(k: Kubectl): Promise<void> {
  if (await servicesHealthy(k)) {
    say('Development services and the Kubernetes API server are running.');
    return;
  }
  say('Starting the development services and the Kubernetes API server (tools/services.sh) …');
  const kubectlBin = k.bin;
  const script = process.env.STARGATE_SERVICES_SCRIPT ?? join(REPO_ROOT, 'tools/services.sh');
  const kubeDir = dirname(kubectlBin);
  const building = !existsSync(join(kubeDir, 'kube-apiserver')) || !existsSync(kubectlBin);
  const started = Date.now();
  let ticker: NodeJS.Timeout | undefined;
  if (building) {
    say(`First run on this machine: building kube-apiserver and kubectl from source into ${kubeDir}.`);
    say('This happens once per machine and takes minutes: about 3–5 on a quiet 2-core machine,');
    say('30 was seen on a heavily loaded one. Later runs start in seconds. Progress every 20 s:');
    ticker = setInterval(() => {
      const done = existsSync(join(kubeDir, 'kube-apiserver'));
      say(
        `  … ${done ? 'kube-apiserver built, starting services' : 'still building kube-apiserver and kubectl'} (${seconds(Date.now() - started)} so far)`,
      );
    }, 20_000);
  }
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(script, ['up', 'redis', 'rabbitmq', 'mongo', 'kube'], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.once('error', reject);
      child.once('exit', (c) => resolve(c ?? 1));
    });
    if (code !== 0)
      throw new Error(
        `tools/services.sh could not start the services (exit ${code}; see the lines above). Without a Kubernetes API server, \`make dev-files\` runs StarGate from rendered files.`,
      );
  } finally {
    if (ticker) clearInterval(ticker);
  }
  if (building) say(`kube-apiserver and kubectl built and started in ${seconds(Date.now() - started)}.`);
}

/**
 * The CRDs, applied as the tests apply them (server-side, forcing: other field managers may
 * own the same fields on a shared API server), and waited for.
 */
export async function installCrds(k: Kubectl): Promise<void> {
  const args = [
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=stargate-crds',
    '-f',
    join(REPO_ROOT, 'crds'),
  ];
  await k.run(args, { namespaced: false });
  await k.run(
    [
      'wait',
      '--for=condition=Established',
      'crd/tenants.stargate.io',
      'crd/processtypes.stargate.io',
      '--timeout=60s',
    ],
    { namespaced: false },
  );
}

export async function ensureNamespace(k: Kubectl): Promise<void> {
  const ns = await k.exec(['get', 'namespace', k.namespace, '-o', 'jsonpath={.status.phase}'], {
    namespaced: false,
  });
  if (ns.code === 0 && ns.stdout.trim() === 'Terminating')
    throw new Error(
      `namespace ${k.namespace} is being deleted (this API server has no controller to finish that): choose another one with STARGATE_DEV_NAMESPACE`,
    );
  if (ns.code !== 0) await k.run(['create', 'namespace', k.namespace], { namespaced: false });
}

function management(): RabbitManagement {
  const raw = process.env.STARGATE_RABBIT_MGMT_URL;
  if (!raw) throw new Error('STARGATE_RABBIT_MGMT_URL is not set: run this through `make dev`');
  return rabbitManagement(raw);
}

/** This run's vhost (created if missing); returns its amqp URL. */
export async function ensureVhost(amqpUrl: string, name: string): Promise<string> {
  return management().ensureVhost(amqpUrl, name);
}

export async function deleteVhost(name: string): Promise<void> {
  await management().deleteVhost(name);
}
