/**
 * GitOps pipelines re-apply the same manifests over and over, and the operator resyncs
 * everything periodically: none of that may cause a write (no hot loop, no resourceVersion
 * churn, no Event spam) once a resource is reconciled.
 */
import { GROUP_VERSION, type ProcessType, type Tenant } from '@stargate/contracts';
import { eventually } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from './desired/objects.js';
import { type KubeClient, resourcePath } from './kube/client.js';
import { type Operator, startOperator } from './operator.js';
import { createNamespace, installCrds, testClient, testConfig, testLogger } from './testing/cluster.js';

const client = testClient();
let ns: { watch: string; gateway: string; private: string };
let operator: Operator | undefined;

/** The operator's client, noting every create, replace, patch and delete (Lease renewals left out;
 * server-side applies, which the API server turns into no-ops, are checked by resourceVersion). */
const writes: string[] = [];
function counting(inner: KubeClient): KubeClient {
  const note = (verb: string, path: string) => {
    if (!path.includes('/leases')) writes.push(`${verb} ${path}`);
  };
  return {
    ...inner,
    create(path, body) {
      note('create', path);
      return inner.create(path, body);
    },
    replace(path, body) {
      note('replace', path);
      return inner.replace(path, body);
    },
    mergePatch(path, patch) {
      note('patch', path);
      return inner.mergePatch(path, patch);
    },
    delete(path) {
      note('delete', path);
      return inner.delete(path);
    },
  };
}

const tenantPath = (name: string) => resourcePath(GROUP_VERSION, 'Tenant', ns.watch, name);
const ptPath = (name: string) => resourcePath(GROUP_VERSION, 'ProcessType', ns.watch, name);

const manifests = () => [
  {
    apiVersion: GROUP_VERSION,
    kind: 'ProcessType',
    metadata: { name: 'order', namespace: ns.watch },
    spec: { requestSchema: { type: 'object' }, handler: { builtin: 'order', replicas: 0 } },
  },
  {
    apiVersion: GROUP_VERSION,
    kind: 'Tenant',
    metadata: { name: 'acme', namespace: ns.watch },
    spec: { displayName: 'ACME', processTypes: [{ name: 'order' }] },
  },
];

async function versions(): Promise<Record<string, string | undefined>> {
  const paths = [
    tenantPath('acme'),
    ptPath('order'),
    resourcePath('v1', 'Secret', ns.watch, 'acme-stargate-credentials'),
    resourcePath('v1', 'Secret', ns.gateway, 'stargate-gateway-config'),
    resourcePath('apps/v1', 'Deployment', ns.private, 'stargate-handler-order'),
    resourcePath('v1', 'ConfigMap', ns.private, 'stargate-handler-order'),
    resourcePath('policy/v1', 'PodDisruptionBudget', ns.private, 'stargate-handler-order'),
  ];
  const out: Record<string, string | undefined> = {};
  for (const p of paths) out[p] = (await client.get<KubeObject>(p))?.metadata.resourceVersion;
  return out;
}

const eventCount = async () => (await client.list(resourcePath('v1', 'Event', ns.watch))).items.length;

const reconciles = async () => {
  const text = await operator!.metrics.registry.getSingleMetricAsString('stargate_operator_reconcile_total');
  return [...text.matchAll(/result="success"\} (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
};

beforeAll(async () => {
  await installCrds(client);
  ns = {
    watch: await createNamespace(client, 'steady'),
    gateway: await createNamespace(client, 'steady-gw'),
    private: await createNamespace(client, 'steady-priv'),
  };
  operator = startOperator({
    client: counting(client),
    // A resync every second: every object is reconciled again and again without any change.
    config: { ...testConfig(ns), resyncSeconds: 1 },
    logger: testLogger,
    retryPeriodMs: 200,
  });
});

afterAll(async () => {
  for (const p of [tenantPath('acme'), ptPath('order')]) await client.delete(p);
  await eventually(
    async () => !(await client.get(tenantPath('acme'))) && !(await client.get(ptPath('order'))),
  );
  await operator?.close();
  for (const n of Object.values(ns ?? {})) await client.delete(resourcePath('v1', 'Namespace', undefined, n));
});

describe('steady state', () => {
  it('re-applying the same manifests and resyncing write nothing', async () => {
    for (const m of manifests()) await client.apply(m as KubeObject, 'argocd-controller');
    await eventually(async () => {
      const t = await client.get<Tenant>(tenantPath('acme'));
      const p = await client.get<ProcessType>(ptPath('order'));
      return (
        t?.status?.conditions?.[0]?.status === 'True' &&
        p?.status?.conditions?.find((c) => c.type === 'Ready')?.reason === 'ScaledToZero'
      );
    });
    // Let the first round settle (the gateway config follows the tenant's status).
    await new Promise((r) => setTimeout(r, 1500));
    const readyBefore = (await client.get<Tenant>(tenantPath('acme')))?.status?.conditions;
    const before = await versions();
    const events = await eventCount();
    const reconciledBefore = await reconciles();
    writes.length = 0;

    // The pipeline applies the same spec again (twice), and a label-only edit forces a reconcile.
    for (const m of manifests()) await client.apply(m as KubeObject, 'argocd-controller');
    for (const m of manifests()) await client.apply(m as KubeObject, 'argocd-controller');
    await client.mergePatch(tenantPath('acme'), {
      metadata: { labels: { 'argocd.argoproj.io/instance': 'x' } },
    });
    await new Promise((r) => setTimeout(r, 3500));

    // At least three resyncs happened...
    expect((await reconciles()) - reconciledBefore).toBeGreaterThanOrEqual(6);
    // ...and none of them wrote anything.
    expect(writes).toEqual([]);
    const after = await versions();
    const tenant = tenantPath('acme');
    expect({ ...after, [tenant]: 'label edit' }).toEqual({ ...before, [tenant]: 'label edit' });
    expect(await eventCount()).toBe(events);
    // Conditions untouched, lastTransitionTime included.
    expect((await client.get<Tenant>(tenantPath('acme')))?.status?.conditions).toEqual(readyBefore);
    expect(readyBefore?.[0]).toMatchObject({
      type: 'Ready',
      status: 'True',
      reason: 'Configured',
      observedGeneration: 1,
      lastTransitionTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });
});
