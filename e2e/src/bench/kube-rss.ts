/**
 * The gateway's idle memory with the Kubernetes config source (what a cluster runs): a
 * gateway process watching a config Secret on the development kube-apiserver, its RSS read
 * 10 s after it is ready, without load. Skipped (undefined) when no kube-apiserver answers.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayConfig } from '@stargate/contracts';
import { createVhost, eventually, freePort, redisPrefix, serviceEnv, uniqueName } from '@stargate/testkit';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startProcess } from '../support/stack.js';

export async function kubernetesIdleRssMb(gatewayConfig: GatewayConfig): Promise<number | undefined> {
  const env = serviceEnv();
  let core: CoreV1Api;
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(env.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    await core.listNamespace({ limit: 1 });
  } catch {
    return undefined;
  }
  const namespace = uniqueName('bench-rss');
  const name = 'stargate-gateway-config';
  const dir = await mkdtemp(join(tmpdir(), 'stargate-bench-rss-'));
  const vhost = await createVhost('bench-rss');
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  try {
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name, namespace },
        stringData: { 'gateway-config.json': JSON.stringify(gatewayConfig) },
      },
    });
    await mkdir(join(dir, 'keys'));
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(join(dir, 'keys/k1.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const port = await freePort();
    const gw = startProcess('gateway-kube', 'gateway/dist/main.js', {
      STARGATE_GATEWAY_HOST: '127.0.0.1',
      STARGATE_GATEWAY_PORT: String(port),
      STARGATE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      STARGATE_REDIS_URL: env.redisUrl,
      STARGATE_REDIS_PREFIX: redisPrefix('bench-rss'),
      STARGATE_AMQP_URL: vhost.url,
      STARGATE_CONFIG_SOURCE: 'kubernetes',
      STARGATE_CONFIG_NAMESPACE: namespace,
      STARGATE_CONFIG_NAME: name,
      STARGATE_SIGNING_KEYS_DIR: join(dir, 'keys'),
      STARGATE_LOG_LEVEL: 'warn',
      KUBECONFIG: env.kubeconfig,
    });
    try {
      await eventually(
        async () => {
          if (gw.child.exitCode !== null) throw new Error(`gateway exited: ${gw.output()}`);
          return (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok;
        },
        60_000,
        200,
      );
      await new Promise((r) => setTimeout(r, 10_000));
      const status = await readFile(`/proc/${gw.child.pid}/status`, 'utf8');
      return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 102.4) / 10;
    } finally {
      await gw.kill('SIGTERM');
    }
  } finally {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    await vhost.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
