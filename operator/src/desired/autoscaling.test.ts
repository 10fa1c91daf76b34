import { GROUP_VERSION, type ProcessType } from '@stargate/contracts';
import { describe, expect, it } from 'vitest';
import { desiredScaledObject, desiredTriggerAuthentication } from './autoscaling.js';
import { desiredDeployment } from './handler.js';
import { desiredServerConfig } from './server-config.js';

function processType(handler: ProcessType['spec']['handler'], namespace = 'priv'): ProcessType {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'ProcessType',
    metadata: { name: 'order', namespace, uid: 'uid-order', generation: 1 },
    spec: { requestSchema: { type: 'object' }, handler },
  };
}

const opts = { namespace: 'priv', defaultImage: 'stargate:test' };

describe('desiredScaledObject', () => {
  it("scales the handler Deployment on its work queue's depth, within the asked bounds", () => {
    const pt = processType({
      builtin: 'order',
      autoscaling: { minReplicas: 2, maxReplicas: 12, queueLength: 50 },
    });
    const so = desiredScaledObject(pt, opts);
    expect(so).toMatchObject({
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: {
        name: 'stargate-handler-order',
        namespace: 'priv',
        ownerReferences: [{ kind: 'ProcessType', name: 'order', uid: 'uid-order', controller: true }],
      },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'stargate-handler-order' },
        minReplicaCount: 2,
        maxReplicaCount: 12,
      },
    });
    expect(so.spec.triggers).toEqual([
      {
        type: 'rabbitmq',
        metadata: { protocol: 'amqp', mode: 'QueueLength', value: '50', queueName: 'stargate.process.order' },
        authenticationRef: { name: 'stargate-handler-order' },
      },
    ]);
  });

  it('fills in the CRD defaults (min 1 replica, 20 messages per replica)', () => {
    const so = desiredScaledObject(processType({ builtin: 'order', autoscaling: { maxReplicas: 5 } }), opts);
    expect(so.spec.minReplicaCount).toBe(1);
    expect(so.spec.triggers[0]?.metadata.value).toBe('20');
  });

  it('takes the AMQP URL from the Secret the handler pods use, never inline', () => {
    const pt = processType({ builtin: 'order', autoscaling: { maxReplicas: 5 } });
    expect(desiredTriggerAuthentication(pt, opts).spec).toEqual({
      secretTargetRef: [{ parameter: 'host', name: 'stargate-server-connections', key: 'amqp-url' }],
    });
    const so = desiredScaledObject(pt, opts);
    expect(JSON.stringify(so)).not.toContain('amqp://');
    expect(so.spec.triggers[0]?.metadata).not.toHaveProperty('host');
  });

  it('cannot point an owner reference across namespaces: labels name the owner instead', () => {
    const pt = processType({ builtin: 'order', autoscaling: { maxReplicas: 5 } }, 'watch');
    const so = desiredScaledObject(pt, opts);
    expect(so.metadata.ownerReferences).toBeUndefined();
    expect(so.metadata.labels).toMatchObject({
      'stargate.io/process-type': 'order',
      'stargate.io/owner-namespace': 'watch',
      'stargate.io/owner-uid': 'uid-order',
    });
  });
});

describe('desiredDeployment with KEDA scaling', () => {
  it('leaves spec.replicas out, so the operator never fights KEDA over it', () => {
    const pt = processType({ builtin: 'order', replicas: 3, autoscaling: { maxReplicas: 5 } });
    const config = desiredServerConfig([pt], []);
    expect(desiredDeployment(pt, config, opts).spec.replicas).toBe(3);
    expect(desiredDeployment(pt, config, { ...opts, kedaScales: true }).spec).not.toHaveProperty('replicas');
  });
});
