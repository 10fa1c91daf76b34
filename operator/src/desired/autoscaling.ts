import { type ProcessType, processQueue } from '@stargate/contracts';
import { type HandlerOptions, handlerName, handlerObjectMeta, SERVER_CONNECTIONS_SECRET } from './handler.js';
import type { KubeObject } from './objects.js';

/** KEDA's API; the operator only makes these objects when the cluster serves it. */
export const KEDA_API_VERSION = 'keda.sh/v1alpha1';
export const AUTOSCALING_DEFAULTS = { minReplicas: 1, queueLength: 20 } as const;

export interface ScaledObjectObject extends KubeObject {
  kind: 'ScaledObject';
  spec: {
    scaleTargetRef: { apiVersion: string; kind: string; name: string };
    minReplicaCount: number;
    maxReplicaCount: number;
    triggers: {
      type: 'rabbitmq';
      metadata: Record<string, string>;
      authenticationRef: { name: string };
    }[];
  };
}

export interface TriggerAuthenticationObject extends KubeObject {
  kind: 'TriggerAuthentication';
  spec: { secretTargetRef: { parameter: string; name: string; key: string }[] };
}

/** The handler's autoscaling with the CRD's defaults filled in, or undefined when not asked for. */
export function autoscalingOf(pt: ProcessType) {
  const a = pt.spec.handler.autoscaling;
  if (!a) return undefined;
  return {
    minReplicas: a.minReplicas ?? AUTOSCALING_DEFAULTS.minReplicas,
    maxReplicas: a.maxReplicas,
    queueLength: a.queueLength ?? AUTOSCALING_DEFAULTS.queueLength,
  };
}

/**
 * The AMQP URL (with its vhost) comes from the Secret the handler pods already read, through a
 * TriggerAuthentication: no credential is ever written into the ScaledObject.
 */
export function desiredTriggerAuthentication(
  pt: ProcessType,
  opts: HandlerOptions,
): TriggerAuthenticationObject {
  return {
    apiVersion: KEDA_API_VERSION,
    kind: 'TriggerAuthentication',
    metadata: handlerObjectMeta(pt, opts),
    spec: { secretTargetRef: [{ parameter: 'host', name: SERVER_CONNECTIONS_SECRET, key: 'amqp-url' }] },
  };
}

/** Scales the handler Deployment on the number of ready messages in `stargate.process.<type>`. */
export function desiredScaledObject(pt: ProcessType, opts: HandlerOptions): ScaledObjectObject {
  const a = autoscalingOf(pt);
  if (!a) throw new Error(`ProcessType ${pt.metadata.name} does not ask for autoscaling`);
  return {
    apiVersion: KEDA_API_VERSION,
    kind: 'ScaledObject',
    metadata: handlerObjectMeta(pt, opts),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: handlerName(pt) },
      minReplicaCount: a.minReplicas,
      maxReplicaCount: a.maxReplicas,
      triggers: [
        {
          type: 'rabbitmq',
          metadata: {
            protocol: 'amqp',
            mode: 'QueueLength',
            value: String(a.queueLength),
            queueName: processQueue(pt.metadata.name),
          },
          authenticationRef: { name: handlerName(pt) },
        },
      ],
    },
  };
}
