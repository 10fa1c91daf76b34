/**
 * A reconcile the API server keeps refusing (here: the private namespace for handlers does not
 * exist yet) shows on the resource as Ready=False ReconcileFailed with the error, besides a
 * Warning Event, and clears by itself once the cause is fixed.
 */
import { GROUP_VERSION, type ProcessType } from '@stargate/contracts';
import { eventually, uniqueName } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from './desired/objects.js';
import { resourcePath } from './kube/client.js';
import { type Operator, startOperator } from './operator.js';
import { createNamespace, installCrds, testClient, testConfig, testLogger } from './testing/cluster.js';

const client = testClient();
let ns: { watch: string; gateway: string; private: string };
let operator: Operator | undefined;
const ptPath = () => resourcePath(GROUP_VERSION, 'ProcessType', ns.watch, 'order');
const ready = (p: ProcessType | undefined) => p?.status?.conditions?.find((c) => c.type === 'Ready');

beforeAll(async () => {
  await installCrds(client);
  ns = {
    watch: await createNamespace(client, 'fail'),
    gateway: await createNamespace(client, 'fail-gw'),
    // Not created yet: the admin forgot it.
    private: uniqueName('fail-priv'),
  };
  operator = startOperator({ client, config: testConfig(ns), logger: testLogger, retryPeriodMs: 200 });
});

afterAll(async () => {
  await client.delete(ptPath());
  await eventually(async () => !(await client.get(ptPath())));
  await operator?.close();
  for (const n of Object.values(ns ?? {})) await client.delete(resourcePath('v1', 'Namespace', undefined, n));
});

describe('a reconcile that keeps failing', () => {
  it('gives Ready=False ReconcileFailed with the error and a Warning Event, and recovers once fixed', async () => {
    await client.apply(
      {
        apiVersion: GROUP_VERSION,
        kind: 'ProcessType',
        metadata: { name: 'order', namespace: ns.watch },
        spec: { requestSchema: { type: 'object' }, handler: { builtin: 'order' } },
      } as KubeObject,
      'test',
    );
    const cond = await eventually(async () => {
      const c = ready(await client.get<ProcessType>(ptPath()));
      return c?.reason === 'ReconcileFailed' ? c : undefined;
    });
    expect(cond).toMatchObject({ status: 'False', observedGeneration: 1 });
    expect(cond.message).toContain(ns.private);
    expect(cond.message).toContain('not found');
    const events = await client.list<{ type: string; reason: string; involvedObject: { name: string } }>(
      resourcePath('v1', 'Event', ns.watch),
    );
    expect(events.items.filter((e) => e.reason === 'ReconcileFailed')).toHaveLength(1);
    expect(events.items.find((e) => e.reason === 'ReconcileFailed')).toMatchObject({
      type: 'Warning',
      involvedObject: { name: 'order' },
    });

    await client.create(resourcePath('v1', 'Namespace'), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns.private },
    });
    // No kubelet here: the handler never gets ready pods, so HandlerNotReady is the healthy end.
    await eventually(
      async () => ready(await client.get<ProcessType>(ptPath()))?.reason === 'HandlerNotReady',
    );
    expect(
      await client.get(resourcePath('apps/v1', 'Deployment', ns.private, 'stargate-handler-order')),
    ).toBeTruthy();
  });
});
