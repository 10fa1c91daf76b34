import type { ProcessType, Tenant } from '@stargate/contracts';
import type { Logger } from 'pino';
import type { OperatorConfig } from '../config.js';
import type { TenantProblem } from '../desired/gateway-config.js';
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
  /**
   * The last gateway-config render's verdict on conflicts between tenants (a client id or an
   * external issuer claimed twice), which only the whole set can decide: the tenants it looked
   * at, and why some of them were left out. Tenant status takes these from here.
   */
  conflicts: { seen: Set<string>; problems: Map<string, TenantProblem> };
}

/** Reasons decided across tenants by the gateway-config render (not by one tenant alone). */
export const CONFLICT_REASONS: ReadonlySet<string> = new Set(['DuplicateClientId', 'OverlappingIssuer']);

export interface ReconcileResult {
  requeueAfterMs?: number;
}

export const GATEWAY_CONFIG_KEY = 'GatewayConfig';
export const tenantKey = (ns: string, name: string) => `Tenant/${ns}/${name}`;
export const processTypeKey = (ns: string, name: string) => `ProcessType/${ns}/${name}`;
