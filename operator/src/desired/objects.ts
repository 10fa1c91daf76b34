/** Minimal shapes of the built-in objects the operator writes (only the fields it sets). */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  resourceVersion?: string;
  uid?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMeta;
}

export interface SecretObject extends KubeObject {
  kind: 'Secret';
  type?: string;
  data?: Record<string, string>;
}

export interface ConfigMapObject extends KubeObject {
  kind: 'ConfigMap';
  data?: Record<string, string>;
}

export interface DeploymentObject extends KubeObject {
  kind: 'Deployment';
  spec: Record<string, unknown> & { replicas?: number };
  status?: { readyReplicas?: number; replicas?: number };
}

export interface PodDisruptionBudgetObject extends KubeObject {
  kind: 'PodDisruptionBudget';
  spec: Record<string, unknown>;
}

export function ownerReference(owner: {
  apiVersion: string;
  kind: string;
  metadata: KubeMeta;
}): OwnerReference {
  if (!owner.metadata.uid) throw new Error(`${owner.kind} ${owner.metadata.name} has no uid yet`);
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
