import type { ProcessType, Tenant } from '@stargate/contracts';
import type { Logger } from 'pino';
import type { OperatorConfig } from '../config.js';
import type { DeploymentObject, KubeObject, SecretObject } from '../desired/objects.js';
import type { KubeClient } from '../kube/client.js';
import type { EventRecorder } from '../kube/events.js';
import type { Informer } from '../kube/informer.js';
import type { OperatorMetrics } from '../metrics.js';

/** What every reconciler may use: the caches, the client, events, and the queue. */
export interface ReconcileContext {
  client: KubeClient;
  config: OperatorConfig;
  tenants: Informer<Tenant & KubeObject>;
  processTypes: Informer<ProcessType & KubeObject>;
  /** Tenant credentials Secrets (watch namespace, selected by label). */
  secrets: Informer<SecretObject>;
  deployments: Informer<DeploymentObject>;
  events: EventRecorder;
  metrics: OperatorMetrics;
  logger: Logger;
  now(): Date;
  enqueue(key: string): void;
  /** How soon to look again at what no watch tells us about (a missing referenced Secret). */
  recheckMs: number;
}

export interface ReconcileResult {
  requeueAfterMs?: number;
}

export const GATEWAY_CONFIG_KEY = 'GatewayConfig';
export const tenantKey = (ns: string, name: string) => `Tenant/${ns}/${name}`;
export const processTypeKey = (ns: string, name: string) => `ProcessType/${ns}/${name}`;
