import { type GatewayConfig, GROUP_VERSION } from '@stargate/contracts';
import { eventually } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, SecretObject } from './desired/objects.js';
import { type KubeClient, resourcePath } from './kube/client.js';
import { createInformer } from './kube/informer.js';
import { type Operator, startOperator } from './operator.js';
import { createNamespace, installCrds, testClient, testConfig, testLogger } from './testing/cluster.js';
import { type PrivateKube, startPrivateKube } from './testing/private-kube.js';

// A private etcd + kube-apiserver: this file stops and starts the API server.
let kube: PrivateKube;
let client: KubeClient;
let ns: string;

beforeAll(async () => {
  kube = await startPrivateKube();
  client = testClient(kube.kubeconfig);
  await installCrds(client);
  ns = await createNamespace(client, 'restart');
}, 180_000);

afterAll(async () => {
  await kube?.close();
});

async function rateLimitInConfig(): Promise<number | undefined> {
  const s = await client.get<SecretObject>(resourcePath('v1', 'Secret', ns, 'stargate-gateway-config'));
  const raw = s?.data?.['gateway-config.json'];
  if (!raw) return undefined;
  const cfg = JSON.parse(Buffer.from(raw, 'base64').toString()) as GatewayConfig;
  return cfg.tenants.find((t) => t.id === 'acme')?.rateLimit.requestsPerMinute;
}

function tenant(rpm: number): KubeObject {
  const obj = {
    apiVersion: GROUP_VERSION,
    kind: 'Tenant',
    metadata: { name: 'acme', namespace: ns },
    spec: { displayName: 'ACME', processTypes: [{ name: 'order' }], rateLimit: { requestsPerMinute: rpm } },
  };
  return obj;
}

describe('API server restart', () => {
  it('the operator recovers: watches resume and a change made after the restart is reconciled', async () => {
    const config = testConfig({ watch: ns, gateway: ns, private: ns });
    let restarts = 0;
    let operator: Operator | undefined;
    // Like the kubelet restarting a pod whose operator exited after losing its lease.
    const start = (): Operator =>
      startOperator({
        client,
        config,
        logger: testLogger,
        retryPeriodMs: 200,
        onLostLeadership: () => {
          restarts++;
          void operator?.close();
          operator = start();
        },
      });
    operator = start();
    try {
      const pt: KubeObject = {
        apiVersion: GROUP_VERSION,
        kind: 'ProcessType',
        metadata: { name: 'order', namespace: ns },
        ...{ spec: { requestSchema: { type: 'object' }, handler: { builtin: 'order', replicas: 0 } } },
      };
      await client.apply(pt, 'test');
      await client.apply(tenant(100), 'test');
      await eventually(async () => (await rateLimitInConfig()) === 100, 60_000);

      await kube.stopApiserver();
      await kube.startApiserver();
      // Custom resource paths are served a moment after the server itself.
      await eventually(() => client.list(resourcePath(GROUP_VERSION, 'Tenant', ns)), 60_000);
      await client.apply(tenant(200), 'test');
      await eventually(async () => (await rateLimitInConfig()) === 200, 60_000);
      await eventually(() => operator?.isLeader());
      console.log(
        `[measure] API server restart: operator recovered (${restarts} leadership loss(es) → restart)`,
      );
      await client.delete(resourcePath(GROUP_VERSION, 'Tenant', ns, 'acme'));
      await eventually(
        async () => !(await client.get(resourcePath(GROUP_VERSION, 'Tenant', ns, 'acme'))),
        30_000,
      );
      await client.delete(resourcePath(GROUP_VERSION, 'ProcessType', ns, 'order'));
      await eventually(
        async () => !(await client.get(resourcePath(GROUP_VERSION, 'ProcessType', ns, 'order'))),
        30_000,
      );
    } finally {
      await operator?.close();
    }
  });
});

describe('informer', () => {
  it('re-lists after 410 Gone (its resourceVersion compacted away) and keeps watching', async () => {
    const path = resourcePath('v1', 'ConfigMap', ns);
    const before = await client.list(path);
    await client.create(path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one' } });
    await client.create(path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'two' } });
    await kube.compact();
    // The API server's watch cache may still serve the old version; a restart empties it.
    await kube.stopApiserver();
    await kube.startApiserver();
    const seen: string[] = [];
    const informer = createInformer<KubeObject>({
      client,
      logger: testLogger,
      apiVersion: 'v1',
      kind: 'ConfigMap',
      path,
      startResourceVersion: before.metadata.resourceVersion,
      onEvent: (_t, o) => seen.push(o.metadata.name),
    });
    informer.start();
    try {
      await eventually(() => informer.stats().gone >= 1 && informer.get(ns, 'two'), 30_000);
      await client.create(path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'three' } });
      await eventually(() => seen.includes('three'));
      expect(informer.stats().lists).toBe(1);
    } finally {
      informer.close();
    }
  });
});
