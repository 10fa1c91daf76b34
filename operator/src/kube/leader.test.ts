import { GROUP_VERSION, type Tenant } from '@stargate/contracts';
import { eventually } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../desired/objects.js';
import { startOperator } from '../operator.js';
import { createNamespace, installCrds, testClient, testConfig, testLogger } from '../testing/cluster.js';
import { resourcePath } from './client.js';

const client = testClient();
let ns: string;

beforeAll(async () => {
  await installCrds(client);
  ns = await createNamespace(client, 'lead');
});

afterAll(async () => {
  await client.delete(resourcePath('v1', 'Namespace', undefined, ns));
});

interface Lease {
  spec: { holderIdentity?: string; leaseTransitions?: number };
}

describe('leader election', () => {
  it('two operators: one leads, the other takes over when the first stops', async () => {
    const names = { watch: ns, gateway: ns, private: ns };
    const a = startOperator({
      client,
      config: testConfig(names, 'op-a'),
      logger: testLogger,
      retryPeriodMs: 200,
    });
    await eventually(() => a.isLeader());
    const b = startOperator({
      client,
      config: testConfig(names, 'op-b'),
      logger: testLogger,
      retryPeriodMs: 200,
    });
    try {
      // b has campaigned several times by now and must still be waiting.
      await eventually(async () => {
        const lease = await client.get<Lease>(
          resourcePath('coordination.k8s.io/v1', 'Lease', ns, 'stargate-operator'),
        );
        return lease?.spec.holderIdentity === 'op-a';
      });
      await new Promise((r) => setTimeout(r, 600));
      expect(b.isLeader()).toBe(false);
      expect(a.isLeader()).toBe(true);

      await a.close();
      await eventually(() => b.isLeader(), 10_000);
      const lease = await client.get<Lease>(
        resourcePath('coordination.k8s.io/v1', 'Lease', ns, 'stargate-operator'),
      );
      expect(lease?.spec.holderIdentity).toBe('op-b');

      // The new leader reconciles: a Tenant gets its credentials.
      await client.apply(
        {
          apiVersion: 'stargate.io/v1alpha1',
          kind: 'ProcessType',
          metadata: { name: 'order', namespace: ns },
          spec: { requestSchema: { type: 'object' }, handler: { builtin: 'order', replicas: 0 } },
        } as KubeObject,
        'test',
      );
      await client.apply(
        {
          apiVersion: GROUP_VERSION,
          kind: 'Tenant',
          metadata: { name: 'acme', namespace: ns },
          spec: { displayName: 'ACME', processTypes: [{ name: 'order' }] },
        } as KubeObject,
        'test',
      );
      await eventually(() => client.get(resourcePath('v1', 'Secret', ns, 'acme-stargate-credentials')));
      await client.delete(resourcePath(GROUP_VERSION, 'Tenant', ns, 'acme'));
      await client.delete(resourcePath(GROUP_VERSION, 'ProcessType', ns, 'order'));
      await eventually(
        async () => !(await client.get<Tenant>(resourcePath(GROUP_VERSION, 'Tenant', ns, 'acme'))),
      );
      await eventually(
        async () => !(await client.get(resourcePath(GROUP_VERSION, 'ProcessType', ns, 'order'))),
      );
    } finally {
      await a.close();
      await b.close();
    }
  });
});
