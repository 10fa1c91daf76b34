import { GROUP_VERSION, type ProcessType } from '@stargate/contracts';
import { eventually } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScaledObjectObject, TriggerAuthenticationObject } from './desired/autoscaling.js';
import type { DeploymentObject, KubeObject } from './desired/objects.js';
import { type KubeClient, resourcePath } from './kube/client.js';
import { type Operator, startOperator } from './operator.js';
import { createNamespace, installCrds, testClient, testConfig, testLogger } from './testing/cluster.js';
import { installKedaCrds } from './testing/keda.js';
import { type PrivateKube, startPrivateKube } from './testing/private-kube.js';

type Condition = { type: string; status: string; reason: string; message: string };
type Managed = { managedFields?: { manager: string; fieldsV1?: { 'f:spec'?: Record<string, unknown> } }[] };

const HANDLER = 'stargate-handler-order';
const paths = (ns: string) => ({
  pt: resourcePath(GROUP_VERSION, 'ProcessType', ns, 'order'),
  deployment: resourcePath('apps/v1', 'Deployment', ns, HANDLER),
  scaledObject: resourcePath('keda.sh/v1alpha1', 'ScaledObject', ns, HANDLER),
  triggerAuth: resourcePath('keda.sh/v1alpha1', 'TriggerAuthentication', ns, HANDLER),
});

function applyProcessType(client: KubeClient, ns: string, handler: ProcessType['spec']['handler']) {
  return client.apply<ProcessType>(
    {
      apiVersion: GROUP_VERSION,
      kind: 'ProcessType',
      metadata: { name: 'order', namespace: ns },
      spec: { requestSchema: { type: 'object' }, handler },
    } as KubeObject,
    'test',
  );
}

async function condition(client: KubeClient, ns: string, type: string): Promise<Condition | undefined> {
  const pt = await client.get<{ status?: { conditions?: Condition[] } }>(paths(ns).pt);
  return pt?.status?.conditions?.find((c) => c.type === type);
}

function start(client: KubeClient, ns: string): Operator {
  // One namespace for everything, so the handler objects can carry owner references.
  return startOperator({
    client,
    config: testConfig({ watch: ns, gateway: ns, private: ns }),
    logger: testLogger,
    retryPeriodMs: 200,
    recheckMs: 300,
  });
}

async function deleteProcessType(client: KubeClient, ns: string) {
  await client.delete(paths(ns).pt);
  await eventually(async () => (await client.get(paths(ns).pt)) === undefined);
}

describe('with KEDA installed (shared API server, minimal KEDA CRDs)', () => {
  const client = testClient();
  let ns: string;
  let operator: Operator;

  beforeAll(async () => {
    await installCrds(client);
    await installKedaCrds(client);
    ns = await createNamespace(client, 'keda');
    operator = start(client, ns);
    await eventually(() => operator.isLeader() && operator.ready());
  });

  afterAll(async () => {
    if (ns) await deleteProcessType(client, ns);
    await operator?.close();
    if (ns) await client.delete(resourcePath('v1', 'Namespace', undefined, ns));
  });

  it('scales the handler on its work queue: a ScaledObject with the RabbitMQ trigger and the bounds asked for', async () => {
    const pt = await applyProcessType(client, ns, {
      builtin: 'order',
      autoscaling: { minReplicas: 1, maxReplicas: 7, queueLength: 30 },
    });
    const p = paths(ns);
    const so = await eventually(() => client.get<ScaledObjectObject>(p.scaledObject));
    expect(so.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ProcessType', name: 'order', uid: pt.metadata.uid, controller: true }),
    ]);
    expect(so.spec).toMatchObject({
      scaleTargetRef: { kind: 'Deployment', name: HANDLER },
      minReplicaCount: 1,
      maxReplicaCount: 7,
      triggers: [
        {
          type: 'rabbitmq',
          metadata: {
            mode: 'QueueLength',
            value: '30',
            queueName: 'stargate.process.order',
            protocol: 'amqp',
          },
          authenticationRef: { name: HANDLER },
        },
      ],
    });
    const auth = await client.get<TriggerAuthenticationObject>(p.triggerAuth);
    expect(auth?.spec.secretTargetRef).toEqual([
      { parameter: 'host', name: 'stargate-server-connections', key: 'amqp-url' },
    ]);
    expect(await eventually(() => condition(client, ns, 'Autoscaling'))).toMatchObject({
      status: 'True',
      reason: 'KedaScaling',
      message: 'KEDA scales the handler between 1 and 7 replicas, 30 waiting messages per replica',
    });

    // The operator does not own spec.replicas: what KEDA sets stays.
    const deployment = await eventually(() =>
      client.get<DeploymentObject & { metadata: Managed }>(p.deployment),
    );
    const ours = deployment.metadata.managedFields?.find((m) => m.manager === 'stargate-operator');
    expect(ours?.fieldsV1?.['f:spec']).toHaveProperty('f:template');
    expect(ours?.fieldsV1?.['f:spec']).not.toHaveProperty('f:replicas');
    await client.mergePatch(`${p.deployment}/scale`, { spec: { replicas: 5 } });
    await eventually(
      async () => (await condition(client, ns, 'Ready'))?.message === '0/5 handler replicas ready',
    );
    // A later reconcile (a spec change) still leaves it to KEDA.
    await applyProcessType(client, ns, {
      builtin: 'order',
      autoscaling: { minReplicas: 2, maxReplicas: 7, queueLength: 30 },
    });
    await eventually(
      async () => (await client.get<ScaledObjectObject>(p.scaledObject))?.spec.minReplicaCount === 2,
    );
    expect((await client.get<DeploymentObject>(p.deployment))?.spec.replicas).toBe(5);
  });

  it('refuses bounds that cannot hold, with a message saying which', async () => {
    const err = await applyProcessType(client, ns, {
      builtin: 'order',
      autoscaling: { minReplicas: 5, maxReplicas: 2 },
    }).catch((e: unknown) => e as Error);
    expect(String(err)).toContain('handler.autoscaling.minReplicas must not exceed maxReplicas');
  });

  it('dropping autoscaling removes the KEDA objects and the operator sets replicas again', async () => {
    await applyProcessType(client, ns, { builtin: 'order', replicas: 2 });
    const p = paths(ns);
    // The operator deletes the ScaledObject, then its TriggerAuthentication: wait for both.
    await eventually(async () => (await client.get(p.scaledObject)) === undefined);
    await eventually(async () => (await client.get(p.triggerAuth)) === undefined);
    expect(await client.get(p.triggerAuth)).toBeUndefined();
    await eventually(async () => (await client.get<DeploymentObject>(p.deployment))?.spec.replicas === 2);
    await eventually(async () => (await condition(client, ns, 'Autoscaling')) === undefined);
  });
});

describe('without KEDA (a private API server that does not serve keda.sh)', () => {
  let kube: PrivateKube;
  let client: KubeClient;
  let ns: string;
  let operator: Operator;

  beforeAll(async () => {
    kube = await startPrivateKube();
    client = testClient(kube.kubeconfig);
    await installCrds(client);
    ns = await createNamespace(client, 'nokeda');
    operator = start(client, ns);
    await eventually(() => operator.isLeader() && operator.ready());
  }, 180_000);

  afterAll(async () => {
    await operator?.close();
    await kube?.close();
  });

  it('creates nothing, says why in a condition and an event, and the ProcessType stays Ready', async () => {
    await applyProcessType(client, ns, { builtin: 'order', replicas: 0, autoscaling: { maxReplicas: 3 } });
    const p = paths(ns);
    const autoscaling = await eventually(() => condition(client, ns, 'Autoscaling'));
    expect(autoscaling).toMatchObject({ status: 'False', reason: 'KedaNotInstalled' });
    expect(autoscaling.message).toContain('keda.sh/v1alpha1 ScaledObject is not served by this cluster');
    expect(await condition(client, ns, 'Ready')).toMatchObject({ status: 'True', reason: 'ScaledToZero' });
    // The operator keeps the replicas from the spec; nothing of KEDA's exists (the API is not even there).
    expect((await client.get<DeploymentObject>(p.deployment))?.spec.replicas).toBe(0);
    expect(await client.get(`/apis/keda.sh/v1alpha1`)).toBeUndefined();
    const events = await client.list<{ reason: string; type: string; involvedObject: { name: string } }>(
      resourcePath('v1', 'Event', ns),
    );
    expect(events.items).toContainEqual(
      expect.objectContaining({
        reason: 'KedaNotInstalled',
        type: 'Warning',
        involvedObject: expect.objectContaining({ name: 'order' }),
      }),
    );
  });

  it('once KEDA is installed, the ScaledObject follows without a change to the ProcessType', async () => {
    await installKedaCrds(client);
    const so = await eventually(() => client.get<ScaledObjectObject>(paths(ns).scaledObject), 30_000);
    expect(so.spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 3 });
    await eventually(async () => (await condition(client, ns, 'Autoscaling'))?.reason === 'KedaScaling');
    expect(await condition(client, ns, 'Autoscaling')).toMatchObject({
      status: 'True',
      reason: 'KedaScaling',
    });
  });
});
