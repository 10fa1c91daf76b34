import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { type GatewayConfig, GROUP_VERSION } from '@stargate/contracts';
import { eventually, serviceEnv } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject, SecretObject } from './desired/objects.js';
import { createKubeClient, resourcePath } from './kube/client.js';
import { type Operator, startOperator } from './operator.js';
import { createNamespace, installCrds, testClient, testConfig, testLogger } from './testing/cluster.js';

const admin = testClient();
const rbacFile = resolve(dirname(fileURLToPath(import.meta.url)), '../deploy/rbac.yaml');
let ns: { watch: string; gateway: string; private: string };
let operator: Operator | undefined;

beforeAll(async () => {
  await installCrds(admin);
  ns = {
    watch: await createNamespace(admin, 'rbac'),
    gateway: await createNamespace(admin, 'rbac-gw'),
    private: await createNamespace(admin, 'rbac-priv'),
  };
  const text = (await readFile(rbacFile, 'utf8'))
    .replaceAll('stargate-system', ns.watch)
    .replaceAll('stargate-public', ns.gateway)
    .replaceAll('stargate-private', ns.private);
  for (const doc of parseAllDocuments(text)) await admin.apply(doc.toJS() as KubeObject, 'test');
});

afterAll(async () => {
  for (const n of Object.values(ns ?? {})) await admin.delete(resourcePath('v1', 'Namespace', undefined, n));
});

/** A client that authenticates as a ServiceAccount, with a token the API server issues for it. */
async function serviceAccountClient(namespace: string, name: string) {
  const token = await admin.create<{ status: { token: string } }>(
    `${resourcePath('v1', 'ServiceAccount', namespace, name)}/token`,
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  );
  const adminKc = new KubeConfig();
  adminKc.loadFromFile(serviceEnv().kubeconfig);
  const cluster = adminKc.getCurrentCluster();
  if (!cluster) throw new Error('no cluster');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: cluster.server, caFile: cluster.caFile, skipTLSVerify: false }],
    users: [{ name: 'sa', token: token.status.token }],
    contexts: [{ name: 'sa', cluster: 'c', user: 'sa' }],
    currentContext: 'sa',
  });
  return createKubeClient(kc);
}

describe('operator/deploy/rbac.yaml', () => {
  it('is enough: the operator runs its whole Tenant/ProcessType cycle as that ServiceAccount, without one refusal', async () => {
    const client = await serviceAccountClient(ns.watch, 'stargate-operator');
    // The token really is that restricted ServiceAccount:
    await expect(client.list(resourcePath('v1', 'Secret', 'default'))).rejects.toMatchObject({ status: 403 });
    operator = startOperator({ client, config: testConfig(ns), logger: testLogger, retryPeriodMs: 200 });
    try {
      await eventually(() => operator?.isLeader() && operator.ready());
      const pt = {
        apiVersion: GROUP_VERSION,
        kind: 'ProcessType',
        metadata: { name: 'order', namespace: ns.watch },
        spec: { requestSchema: { type: 'object' }, handler: { builtin: 'order' } },
      };
      await admin.apply(pt, 'test');
      const tenant = {
        apiVersion: GROUP_VERSION,
        kind: 'Tenant',
        metadata: { name: 'acme', namespace: ns.watch },
        spec: { displayName: 'ACME', processTypes: [{ name: 'order' }] },
      };
      await admin.apply(tenant, 'test');
      await eventually(async () => {
        const s = await admin.get<SecretObject>(
          resourcePath('v1', 'Secret', ns.gateway, 'stargate-gateway-config'),
        );
        const raw = s?.data?.['gateway-config.json'];
        return (
          raw && (JSON.parse(Buffer.from(raw, 'base64').toString()) as GatewayConfig).tenants.length === 1
        );
      });
      await eventually(() =>
        admin.get(resourcePath('apps/v1', 'Deployment', ns.private, 'stargate-handler-order')),
      );
      // Events are best effort (a refusal would only be logged): check they were written.
      await eventually(async () => {
        const events = await admin.list<{ reason: string }>(resourcePath('v1', 'Event', ns.watch));
        return events.items.some((e) => e.reason === 'CredentialsCreated');
      });
      await admin.delete(resourcePath(GROUP_VERSION, 'Tenant', ns.watch, 'acme'));
      await admin.delete(resourcePath(GROUP_VERSION, 'ProcessType', ns.watch, 'order'));
      await eventually(
        async () => !(await admin.get(resourcePath(GROUP_VERSION, 'Tenant', ns.watch, 'acme'))),
      );
      await eventually(
        async () => !(await admin.get(resourcePath(GROUP_VERSION, 'ProcessType', ns.watch, 'order'))),
      );
      expect(
        await admin.get(resourcePath('apps/v1', 'Deployment', ns.private, 'stargate-handler-order')),
      ).toBeUndefined();
      const errors = await operator.metrics.reconcileErrors.get();
      expect(errors.values.reduce((n, v) => n + v.value, 0)).toBe(0);
    } finally {
      await operator.close();
    }
  });

  it('lets an operator whose caches can never sync (its lists are forbidden) shut down at once', async () => {
    const n = await createNamespace(admin, 'rbac-nosync');
    try {
      const rbac = 'rbac.authorization.k8s.io/v1';
      await admin.apply(
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'op', namespace: n } },
        'test',
      );
      await admin.apply(
        {
          apiVersion: rbac,
          kind: 'Role',
          metadata: { name: 'leases-only', namespace: n },
          rules: [
            { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
            { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
          ],
        } as KubeObject,
        'test',
      );
      await admin.apply(
        {
          apiVersion: rbac,
          kind: 'RoleBinding',
          metadata: { name: 'op', namespace: n },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'leases-only' },
          subjects: [{ kind: 'ServiceAccount', name: 'op', namespace: n }],
        } as KubeObject,
        'test',
      );
      const client = await serviceAccountClient(n, 'op');
      const op = startOperator({
        client,
        config: testConfig({ watch: n, gateway: n, private: n }),
        logger: testLogger,
        retryPeriodMs: 200,
      });
      await eventually(() => op.isLeader());
      await expect(client.list(resourcePath(GROUP_VERSION, 'Tenant', n))).rejects.toMatchObject({
        status: 403,
      });
      expect(op.ready()).toBe(false);
      // Before the fix this never resolved: the worker waited for a sync that cannot happen.
      await op.close();
      expect(op.isLeader()).toBe(false);
    } finally {
      await admin.delete(resourcePath('v1', 'Namespace', undefined, n));
    }
  });
});
