import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { createVhost, eventually, redisPrefix, serviceEnv, uniqueName } from '@stargate/testkit';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { startGateway } from '../index.js';
import { accessToken, startFakeServer, submit, testConfig } from '../testing/fixtures.js';
import { CONFIG_SECRET_KEY } from './kubernetes-source.js';

const order = { processType: 'order', data: { sku: 'C', quantity: 1 } };

async function replaceFile(path: string, text: string): Promise<void> {
  // How editors and ConfigMap volumes update a file: write aside, then rename over it.
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

describe('configuration reload without restart', () => {
  it('applies a changed YAML file, rejects an invalid one and keeps the last good config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gw-config-'));
    const file = join(dir, 'gateway.yaml');
    await writeFile(file, stringify(testConfig({ revision: 'one' })));
    const vhost = await createVhost('gw-cfg');
    const server = await startFakeServer(vhost.url);
    const gw = await startGateway({
      configFile: file,
      redisUrl: serviceEnv().redisUrl,
      amqpUrl: vhost.url,
      redisPrefix: redisPrefix('gw-cfg'),
    });
    try {
      const token = await accessToken(gw.url, 'alpha');
      expect((await submit(gw.url, token, order)).status).toBe(202);

      await replaceFile(file, JSON.stringify(testConfig({ revision: 'two', alphaSuspended: true })));
      await eventually(async () => (await submit(gw.url, token, order)).status === 403);

      await replaceFile(file, JSON.stringify({ revision: 'broken', tenants: 'nope' }));
      await eventually(async () =>
        /gateway_config_reloads_total\{result="rejected"\} 1/.test(
          await (await fetch(`${gw.url}/metrics`)).text(),
        ),
      );
      expect(gw.gateway.context.config.current()?.revision).toBe('two');

      await replaceFile(file, stringify(testConfig({ revision: 'three' })));
      await eventually(async () => (await submit(gw.url, token, order)).status === 202);
      expect((await fetch(`${gw.url}/health/ready`)).status).toBe(200);
    } finally {
      await gw.close();
      await server.close();
      await vhost.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('follows the operator-written Secret in Kubernetes', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(serviceEnv().kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const namespace = uniqueName('gw-cfg');
    const name = 'stargate-gateway-config';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const secret = (revision: string, suspended: boolean) => ({
      metadata: { name, namespace },
      stringData: {
        [CONFIG_SECRET_KEY]: JSON.stringify(testConfig({ revision, alphaSuspended: suspended })),
      },
    });
    await core.createNamespacedSecret({ namespace, body: secret('k1', false) });
    // A neighbour Secret in the same namespace is not the config.
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'other' }, stringData: { x: 'y' } },
    });
    const vhost = await createVhost('gw-k8s');
    const server = await startFakeServer(vhost.url);
    const gw = await startGateway({
      kubernetes: { namespace, name, kubeconfig: serviceEnv().kubeconfig },
      redisUrl: serviceEnv().redisUrl,
      amqpUrl: vhost.url,
      redisPrefix: redisPrefix('gw-k8s'),
    });
    try {
      const token = await accessToken(gw.url, 'alpha');
      expect((await submit(gw.url, token, order)).status).toBe(202);
      await core.replaceNamespacedSecret({ name, namespace, body: secret('k2', true) });
      await eventually(async () => (await submit(gw.url, token, order)).status === 403);
      expect(gw.gateway.context.config.current()?.revision).toBe('k2');
      await core.replaceNamespacedSecret({
        name,
        namespace,
        body: { metadata: { name, namespace }, stringData: { [CONFIG_SECRET_KEY]: '{"revision":"bad"}' } },
      });
      await eventually(async () =>
        /gateway_config_reloads_total\{result="rejected"\} 1/.test(
          await (await fetch(`${gw.url}/metrics`)).text(),
        ),
      );
      expect(gw.gateway.context.config.current()?.revision).toBe('k2');
    } finally {
      await gw.close();
      await server.close();
      await vhost.close();
      await core.deleteNamespace({ name: namespace });
    }
  });

  it('starts without the operator-written Secret: live, not ready with the reason, ready once it appears', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(serviceEnv().kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const namespace = uniqueName('gw-nocfg');
    const name = 'stargate-gateway-config';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const vhost = await createVhost('gw-nocfg');
    const server = await startFakeServer(vhost.url);
    const started = Date.now();
    const gw = await startGateway({
      kubernetes: { namespace, name, kubeconfig: serviceEnv().kubeconfig },
      redisUrl: serviceEnv().redisUrl,
      amqpUrl: vhost.url,
      redisPrefix: redisPrefix('gw-nocfg'),
    });
    try {
      // Listening at once (a fresh `helm install --wait` with no Tenant yet must not crash-loop).
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await fetch(`${gw.url}/health/live`)).status).toBe(200);
      expect((await fetch(`${gw.url}/health/startup`)).status).toBe(200);
      const notReady = await fetch(`${gw.url}/health/ready`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toMatchObject({
        status: 'not-ready',
        checks: { config: false },
        reason: `waiting for Secret ${namespace}/${name} (key ${CONFIG_SECRET_KEY}); the operator writes it`,
      });
      expect((await fetch(`${gw.url}/oauth/token`, { method: 'POST' })).status).toBe(503);

      // A Secret without a usable document keeps it not ready, saying why.
      await core.createNamespacedSecret({
        namespace,
        body: { metadata: { name, namespace }, stringData: { [CONFIG_SECRET_KEY]: '{"revision":"bad"}' } },
      });
      await eventually(async () => {
        const body = (await (await fetch(`${gw.url}/health/ready`)).json()) as { reason?: string };
        return body.reason?.startsWith(`configuration from secret:${namespace}/${name} rejected`) === true;
      });

      await core.replaceNamespacedSecret({
        name,
        namespace,
        body: {
          metadata: { name, namespace },
          stringData: { [CONFIG_SECRET_KEY]: JSON.stringify(testConfig({ revision: 'late' })) },
        },
      });
      await eventually(async () => (await fetch(`${gw.url}/health/ready`)).status === 200);
      expect(await (await fetch(`${gw.url}/health/ready`)).json()).not.toHaveProperty('reason');
      const token = await accessToken(gw.url, 'alpha');
      expect((await submit(gw.url, token, order)).status).toBe(202);
    } finally {
      await gw.close();
      await server.close();
      await vhost.close();
      await core.deleteNamespace({ name: namespace });
    }
  });
});
