import { createHash } from 'node:crypto';
import type { ProcessType, ServerConfig } from '@stargate/contracts';
import {
  COMPONENT_LABEL,
  CONFIG_HASH_ANNOTATION,
  ENCRYPTION_KEYS_HASH_ANNOTATION,
  INSTANCE_LABEL,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  NAME_LABEL,
  OWNER_NAMESPACE_LABEL,
  OWNER_UID_LABEL,
  PROCESS_TYPE_LABEL,
} from './labels.js';
import {
  type ConfigMapObject,
  type DeploymentObject,
  type OwnerReference,
  ownerReference,
  type PodDisruptionBudgetObject,
} from './objects.js';
import { FORWARD_CREDENTIALS_ENV } from './server-config.js';

export const HANDLER_COMPONENT = 'handler';
export const SERVER_CONNECTIONS_SECRET = 'stargate-server-connections';
export const SERVER_CONFIG_PATH = '/etc/stargate/server-config.json';
export const HEALTH_PORT = 9090;

export interface HandlerOptions {
  /** Where handler Deployments go (STARGATE_PRIVATE_NAMESPACE). */
  namespace: string;
  /** STARGATE_HANDLER_IMAGE, used unless spec.handler.image is set. */
  defaultImage: string;
  /**
   * KEDA scales the Deployment (a ScaledObject exists): `spec.replicas` is left out of what the
   * operator applies, so the two never fight over it.
   */
  kedaScales?: boolean;
  /** Where handler pods read STARGATE_ENCRYPTION_KEYS from (a Secret in `namespace`); absent: no encryption at rest. */
  encryptionKeys?: { secret: string; key: string };
  /** The key list's value as found there (base64, as in the Secret): its hash rolls the pods when it changes. */
  encryptionKeysValue?: string;
  /** Replicas of the quorum queues handlers create (STARGATE_AMQP_QUORUM_INITIAL_GROUP_SIZE); absent: their URL's rule. */
  amqpQuorumInitialGroupSize?: number;
}

export function handlerName(pt: ProcessType): string {
  return `stargate-handler-${pt.metadata.name}`;
}

/** The labels that find a ProcessType's children, also across namespaces. */
export function handlerSelector(pt: ProcessType): Record<string, string> {
  return { [NAME_LABEL]: 'stargate-handler', [PROCESS_TYPE_LABEL]: pt.metadata.name };
}

function labels(pt: ProcessType): Record<string, string> {
  return {
    ...handlerSelector(pt),
    [COMPONENT_LABEL]: HANDLER_COMPONENT,
    [INSTANCE_LABEL]: pt.metadata.name,
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [OWNER_NAMESPACE_LABEL]: pt.metadata.namespace ?? '',
    [OWNER_UID_LABEL]: pt.metadata.uid ?? '',
  };
}

/** Owner references only work within one namespace; elsewhere the labels and a finalizer do the job. */
function owners(pt: ProcessType, opts: HandlerOptions): { ownerReferences?: OwnerReference[] } {
  return pt.metadata.namespace === opts.namespace ? { ownerReferences: [ownerReference(pt)] } : {};
}

/** Name, namespace, labels and (same namespace only) owner of every per-ProcessType handler object. */
export function handlerObjectMeta(pt: ProcessType, opts: HandlerOptions) {
  return { name: handlerName(pt), namespace: opts.namespace, labels: labels(pt), ...owners(pt, opts) };
}

export function serverConfigJson(config: ServerConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

export function desiredConfigMap(
  pt: ProcessType,
  config: ServerConfig,
  opts: HandlerOptions,
): ConfigMapObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: handlerObjectMeta(pt, opts),
    data: { 'server-config.json': serverConfigJson(config) },
  };
}

export function desiredDeployment(
  pt: ProcessType,
  config: ServerConfig,
  opts: HandlerOptions,
): DeploymentObject {
  const h = pt.spec.handler;
  const ref = h.forward?.credentialsSecretRef;
  const secretEnv = (name: string, key: string) => ({
    name,
    valueFrom: { secretKeyRef: { name: SERVER_CONNECTIONS_SECRET, key } },
  });
  const env = [
    { name: 'STARGATE_PROCESS_TYPES', value: pt.metadata.name },
    { name: 'STARGATE_SERVER_CONFIG_FILE', value: SERVER_CONFIG_PATH },
    { name: 'STARGATE_HEALTH_PORT', value: String(HEALTH_PORT) },
    secretEnv('STARGATE_AMQP_URL', 'amqp-url'),
    ...(opts.amqpQuorumInitialGroupSize !== undefined
      ? [{ name: 'STARGATE_AMQP_QUORUM_INITIAL_GROUP_SIZE', value: String(opts.amqpQuorumInitialGroupSize) }]
      : []),
    secretEnv('STARGATE_MONGO_URL', 'mongo-url'),
    // Not optional: a handler without its keys would write plaintext (or fail to read what others wrote).
    ...(opts.encryptionKeys
      ? [
          {
            name: 'STARGATE_ENCRYPTION_KEYS',
            valueFrom: { secretKeyRef: { name: opts.encryptionKeys.secret, key: opts.encryptionKeys.key } },
          },
        ]
      : []),
    ...(ref
      ? [{ name: FORWARD_CREDENTIALS_ENV, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } }]
      : []),
  ];
  const probe = (path: string) => ({
    httpGet: { path, port: 'health' },
    periodSeconds: 10,
    timeoutSeconds: 2,
    failureThreshold: 3,
  });
  // Pods restart when their configuration changes, although the ConfigMap name stays the same.
  const configHash = createHash('sha256').update(serverConfigJson(config)).digest('hex').slice(0, 16);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: handlerObjectMeta(pt, opts),
    spec: {
      ...(opts.kedaScales ? {} : { replicas: h.replicas ?? 1 }),
      selector: { matchLabels: handlerSelector(pt) },
      template: {
        metadata: {
          labels: labels(pt),
          annotations: {
            [CONFIG_HASH_ANNOTATION]: configHash,
            // Pods read the keys at start: a new list (a rotation step) restarts them.
            ...(opts.encryptionKeys && opts.encryptionKeysValue
              ? {
                  [ENCRYPTION_KEYS_HASH_ANNOTATION]: createHash('sha256')
                    .update(opts.encryptionKeysValue)
                    .digest('hex')
                    .slice(0, 16),
                }
              : {}),
          },
        },
        spec: {
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'handler',
              image: h.image ?? opts.defaultImage,
              command: ['node', 'server/dist/main.js'],
              env,
              ports: [{ name: 'health', containerPort: HEALTH_PORT, protocol: 'TCP' }],
              livenessProbe: probe('/health/live'),
              readinessProbe: probe('/health/ready'),
              resources: {
                requests: { cpu: '100m', memory: '128Mi', ...h.resources?.requests },
                limits: { memory: '256Mi', ...h.resources?.limits },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'config', mountPath: '/etc/stargate', readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: handlerName(pt) } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
}

export function desiredPodDisruptionBudget(pt: ProcessType, opts: HandlerOptions): PodDisruptionBudgetObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: handlerObjectMeta(pt, opts),
    // maxUnavailable rather than minAvailable: with one replica, minAvailable 1 would block node drains forever.
    spec: { maxUnavailable: 1, selector: { matchLabels: handlerSelector(pt) } },
  };
}
