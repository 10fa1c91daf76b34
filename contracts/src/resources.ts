/**
 * TypeScript types of the custom resources (group stargate.io, version v1alpha1).
 * The CRDs in crds/ are the schema the API server enforces; these mirror them, and
 * resources.test.ts fails when they drift apart (through the field tables of resource-fields.ts,
 * which the compiler ties to these types: change a type there and here together).
 * Both kinds are namespaced: a Tenant refers to ProcessTypes of its own namespace.
 */
import type { Operation } from './scopes.js';

export const API_GROUP = 'stargate.io';
export const API_VERSION = 'v1alpha1';
export const GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
  ownerReferences?: {
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }[];
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface RateLimitSpec {
  requestsPerMinute: number;
  burst?: number;
}

export interface TenantSpec {
  displayName: string;
  processTypes: { name: string; operations?: Operation[] }[];
  rateLimit?: RateLimitSpec & { perType?: ({ processType: string } & RateLimitSpec)[] };
  credentials?: {
    /** `generated` (default): the operator generates a client secret into a Secret. */
    type?: 'generated' | 'external';
    /** Change this value (any string) to rotate the generated secret. */
    rotationToken?: string;
    /** For `external`: tokens of this issuer are accepted. */
    issuer?: string;
    audience?: string;
    jwksUrl?: string;
    clientId?: string;
  };
  suspended?: boolean;
  dataRetention?: { days: number };
}

export interface TenantStatus {
  conditions?: Condition[];
  observedGeneration?: number;
  clientId?: string;
  secretName?: string;
  /** Granted process types, comma-separated, for `kubectl get tenants` (a printer column shows one array item only). */
  processTypes?: string;
}

export interface Tenant {
  apiVersion: typeof GROUP_VERSION;
  kind: 'Tenant';
  metadata: ObjectMeta;
  spec: TenantSpec;
  status?: TenantStatus;
}

export interface HandlerAutoscaling {
  /** Default 1; 0 lets KEDA scale the handler away while the queue is empty. */
  minReplicas?: number;
  maxReplicas: number;
  /** Target waiting messages per replica (default 20). */
  queueLength?: number;
}

export interface HandlerSpec {
  /** `builtin` module name (order, shipping), `forward` to a private-zone HTTP service, or a custom `image`. */
  builtin?: string;
  forward?: {
    url: string;
    method?: 'POST' | 'PUT' | 'PATCH';
    timeoutSeconds?: number;
    headers?: Record<string, string>;
    credentialsSecretRef?: { name: string; key: string; header?: string };
  };
  image?: string;
  replicas?: number;
  /** Scale on the work queue's depth with KEDA; while set, `replicas` is left to KEDA. */
  autoscaling?: HandlerAutoscaling;
  concurrency?: number;
  resources?: {
    requests?: Record<string, string>;
    limits?: Record<string, string>;
  };
}

export interface ProcessTypeSpec {
  description?: string;
  requestSchema: Record<string, unknown>;
  resultSchema?: Record<string, unknown>;
  handler: HandlerSpec;
  timeoutSeconds?: number;
  maxPayloadBytes?: number;
  estimatedDurationSeconds?: number;
  polling?: {
    firstPollSeconds?: number;
    fastIntervalSeconds?: number;
    fastPhaseSeconds?: number;
    slowIntervalSeconds?: number;
    maxTimeoutSeconds?: number;
  };
  retry?: { maxAttempts?: number; initialBackoffSeconds?: number; maxBackoffSeconds?: number };
  /** The work queue: how many requests it holds before the gateway answers 503, deliveries per request. */
  queue?: { maxLength?: number; deliveryLimit?: number };
  sensitiveFields?: string[];
}

export interface ProcessTypeStatus {
  conditions?: Condition[];
  observedGeneration?: number;
  queue?: string;
  readyReplicas?: number;
  /** Summary of the handler (`builtin:order`, `forward:<url>`, `image:<ref>`) for `kubectl get`. */
  handler?: string;
}

export interface ProcessType {
  apiVersion: typeof GROUP_VERSION;
  kind: 'ProcessType';
  metadata: ObjectMeta;
  spec: ProcessTypeSpec;
  status?: ProcessTypeStatus;
}

/** Annotation that freezes reconciliation of one resource. */
export const PAUSED_ANNOTATION = 'stargate.io/paused';
export const FINALIZER = 'stargate.io/finalizer';
