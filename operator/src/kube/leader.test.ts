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

  it('a leader cut off from the API server steps down after the renew deadline; a standby takes over once the lease expires', async () => {
    const names = { watch: ns, gateway: ns, private: ns };
    let cut = false;
    // The real client, with its network cable pulled on demand.
    const flaky = new Proxy(client, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) =>
          cut ? Promise.reject(new Error('network cut')) : value.apply(target, args);
      },
    });
    const timings = { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 200 };
    let lost = false;
    const config = { ...testConfig(names, 'op-c'), leaseName: 'cut-test' };
    const c = startOperator({
      client: flaky,
      config,
      logger: testLogger,
      ...timings,
      onLostLeadership: () => {
        lost = true;
      },
    });
    await eventually(() => c.isLeader());
    const d = startOperator({
      client,
      config: { ...config, identity: 'op-d' },
      logger: testLogger,
      ...timings,
    });
    try {
      cut = true;
      await eventually(() => lost, 10_000);
      expect(c.isLeader()).toBe(false);
      await eventually(() => d.isLeader(), 10_000);
      const lease = await client.get<Lease>(resourcePath('coordination.k8s.io/v1', 'Lease', ns, 'cut-test'));
      expect(lease?.spec.holderIdentity).toBe('op-d');
      expect(lease?.spec.leaseTransitions).toBe(1);
    } finally {
      await c.close();
      await d.close();
    }
  });
});
