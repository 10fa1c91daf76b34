import { API_GROUP, API_VERSION, type ProcessType, type Tenant } from '@stargate/contracts';
import type { Logger } from 'pino';
import type { OperatorConfig } from './config.js';
import { TENANT_LABEL } from './desired/labels.js';
import {
  COMPONENT_LABEL,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  OWNER_NAMESPACE_LABEL,
  PROCESS_TYPE_LABEL,
} from './desired/labels.js';
import type { DeploymentObject, KubeObject, SecretObject } from './desired/objects.js';
import { CREDENTIALS_COMPONENT } from './desired/tenant-secret.js';
import { type KubeClient, resourcePath } from './kube/client.js';
import { createEventRecorder } from './kube/events.js';
import { createInformer, type Informer } from './kube/informer.js';
import { type LeaderElector, startLeaderElection } from './kube/leader.js';
import { createWorkQueue, type WorkQueue } from './kube/workqueue.js';
import { createMetrics, type OperatorMetrics } from './metrics.js';
import {
  GATEWAY_CONFIG_KEY,
  processTypeKey,
  type ReconcileContext,
  type ReconcileResult,
  tenantKey,
} from './reconcile/context.js';
import { RECONCILE_FAILED, reportFailure } from './reconcile/failure.js';
import { syncGatewayConfig } from './reconcile/gateway-config.js';
import { reconcileProcessType } from './reconcile/process-type.js';
import { reconcileTenant } from './reconcile/tenant.js';

const GV = `${API_GROUP}/${API_VERSION}`;

export interface OperatorOptions {
  client: KubeClient;
  config: OperatorConfig;
  logger: Logger;
  metrics?: OperatorMetrics;
  /** Leader election timings (defaults 15 s / 10 s / 2 s). */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Look again at missing referenced Secrets after this long (not watched: 10 s). */
  recheckMs?: number;
  /** Leadership lost: the process must stop reconciling at once (main exits). */
  onLostLeadership?: () => void;
}

type InformerStats = Record<string, { lists: number; watches: number; gone: number }>;

interface Controllers {
  ready(): boolean;
  stats(): InformerStats;
  close(): Promise<void>;
}

export interface Operator {
  isLeader(): boolean;
  /** Live: the process works. Ready: a leader whose caches are synced, or a standby. */
  ready(): boolean;
  metrics: OperatorMetrics;
  /** Informer statistics, for tests of the resume/re-list behaviour. */
  informerStats(): InformerStats;
  close(): Promise<void>;
}

/**
 * The operator: campaigns for the Lease and, while leader, runs informers feeding one work
 * queue drained by a single worker. One worker keeps GatewayConfig writes ordered; reconciles
 * are short (a few API calls), so it is not the bottleneck at tenant-count scale.
 */
export function startOperator(opts: OperatorOptions): Operator {
  const { client, config } = opts;
  const logger = opts.logger;
  const metrics = opts.metrics ?? createMetrics();
  let controllers:
    | {
        close(): Promise<void>;
        ready(): boolean;
        stats(): Operator['informerStats'] extends () => infer R ? R : never;
      }
    | undefined;
  let closed = false;

  const elector: LeaderElector = startLeaderElection({
    client,
    namespace: config.watchNamespace,
    name: config.leaseName,
    identity: config.identity,
    logger,
    ...(opts.leaseDurationMs ? { leaseDurationMs: opts.leaseDurationMs } : {}),
    ...(opts.renewDeadlineMs ? { renewDeadlineMs: opts.renewDeadlineMs } : {}),
    ...(opts.retryPeriodMs ? { retryPeriodMs: opts.retryPeriodMs } : {}),
    onStartedLeading() {
      metrics.leader.set(1);
      if (!closed) controllers = startControllers();
    },
    onStoppedLeading() {
      metrics.leader.set(0);
      const c = controllers;
      controllers = undefined;
      void c?.close();
      opts.onLostLeadership?.();
    },
  });

  function startControllers(): Controllers {
    const queue: WorkQueue = createWorkQueue();
    const enqueue = (key: string) => {
      queue.add(key);
      metrics.queueDepth.set(queue.depth());
    };
    const enqueueNamespace = (kind: 'Tenant' | 'ProcessType', ns: string | undefined) => {
      const inf = kind === 'Tenant' ? tenants : processTypes;
      for (const o of inf.list()) {
        if (o.metadata.namespace === ns) enqueue(`${kind}/${ns}/${o.metadata.name}`);
      }
    };
    const tenants: Informer<Tenant & KubeObject> = createInformer({
      client,
      logger,
      apiVersion: GV,
      kind: 'Tenant',
      path: resourcePath(GV, 'Tenant', config.watchNamespace),
      onEvent: (_type, t) => {
        enqueue(tenantKey(t.metadata.namespace ?? '', t.metadata.name));
        enqueueNamespace('ProcessType', t.metadata.namespace);
        enqueue(GATEWAY_CONFIG_KEY);
      },
    });
    const processTypes: Informer<ProcessType & KubeObject> = createInformer({
      client,
      logger,
      apiVersion: GV,
      kind: 'ProcessType',
      path: resourcePath(GV, 'ProcessType', config.watchNamespace),
      onEvent: (_type, p) => {
        enqueue(processTypeKey(p.metadata.namespace ?? '', p.metadata.name));
        enqueueNamespace('Tenant', p.metadata.namespace);
        enqueue(GATEWAY_CONFIG_KEY);
      },
    });
    const secrets: Informer<SecretObject> = createInformer({
      client,
      logger,
      apiVersion: 'v1',
      kind: 'Secret',
      path: resourcePath('v1', 'Secret', config.watchNamespace),
      labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY},${COMPONENT_LABEL}=${CREDENTIALS_COMPONENT}`,
      onEvent: (_type, s) => {
        const tenant = s.metadata.labels?.[TENANT_LABEL];
        if (tenant) enqueue(tenantKey(s.metadata.namespace ?? '', tenant));
        enqueue(GATEWAY_CONFIG_KEY);
      },
    });
    const deployments: Informer<DeploymentObject> = createInformer({
      client,
      logger,
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      path: resourcePath('apps/v1', 'Deployment', config.privateNamespace),
      labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}`,
      onEvent: (_type, d) => {
        const ns = d.metadata.labels?.[OWNER_NAMESPACE_LABEL];
        const pt = d.metadata.labels?.[PROCESS_TYPE_LABEL];
        if (ns && pt) enqueue(processTypeKey(ns, pt));
      },
    });
    const informers = { tenants, processTypes, secrets, deployments };
    const ctx: ReconcileContext = {
      client,
      config,
      tenants,
      processTypes,
      secrets,
      deployments,
      events: createEventRecorder(client, 'stargate-operator', logger),
      metrics,
      logger,
      now: () => new Date(),
      enqueue,
      recheckMs: opts.recheckMs ?? 10_000,
      conflicts: { seen: new Set(), problems: new Map() },
    };

    async function dispatch(key: string): Promise<ReconcileResult> {
      if (key === GATEWAY_CONFIG_KEY) {
        await syncGatewayConfig(ctx);
        // Its Secret is not watched (the operator may only get and patch it by name): looked at
        // again every recheck period, so a deleted or hand-edited one is back within seconds.
        return { requeueAfterMs: ctx.recheckMs };
      }
      const [kind, ns = '', name = ''] = key.split('/');
      return kind === 'Tenant' ? reconcileTenant(ctx, ns, name) : reconcileProcessType(ctx, ns, name);
    }

    /** The resource a failed key is about (none for the gateway config). */
    function objectOf(key: string) {
      const [kind, ns = '', name = ''] = key.split('/');
      return kind === 'Tenant'
        ? tenants.get(ns, name)
        : kind === 'ProcessType'
          ? processTypes.get(ns, name)
          : undefined;
    }

    let stopping = false;
    // Aborted by close(): a cache that never syncs (e.g. a forbidden list) must not hold shutdown.
    const stop = new AbortController();
    const worker = (async () => {
      for (const inf of Object.values(informers)) inf.start();
      try {
        await Promise.all(Object.values(informers).map((i) => i.waitForSync(stop.signal)));
      } catch {
        return;
      }
      logger.info('caches synced; reconciling');
      // Written at start-up even with no Tenant or ProcessType yet: a fresh install gets a valid,
      // empty config at once and its gateways become ready (no event would ever trigger it).
      enqueue(GATEWAY_CONFIG_KEY);
      for (;;) {
        const key = await queue.get();
        metrics.queueDepth.set(queue.depth());
        if (key === undefined) return;
        const controller = key.split('/')[0] ?? key;
        const end = metrics.reconcileDuration.startTimer({ controller });
        try {
          const result = await dispatch(key);
          queue.forget(key);
          if (result.requeueAfterMs) queue.addAfter(key, result.requeueAfterMs);
          metrics.reconcileTotal.inc({ controller, result: result.requeueAfterMs ? 'requeue' : 'success' });
        } catch (err) {
          metrics.reconcileTotal.inc({ controller, result: 'error' });
          metrics.reconcileErrors.inc({ controller });
          if (!stopping) {
            const obj = objectOf(key);
            // One Warning per failure streak, not one per retry.
            if (obj && queue.failures(key) === 0)
              ctx.events.record(obj, 'Warning', RECONCILE_FAILED, String(err).slice(0, 1000));
            // A second failure in a row is no passing conflict: the resource's status says so.
            if (obj && queue.failures(key) === 1) await reportFailure(ctx, obj, err);
            logger.warn(
              { key, err: String(err), failures: queue.failures(key) + 1 },
              'reconcile failed; retrying with backoff',
            );
            queue.addRateLimited(key);
          }
        } finally {
          end();
          queue.done(key);
        }
      }
    })();

    // Level-triggered safety net: everything is looked at again periodically, events or not.
    const resync = setInterval(() => {
      for (const t of tenants.list()) enqueue(tenantKey(t.metadata.namespace ?? '', t.metadata.name));
      for (const p of processTypes.list())
        enqueue(processTypeKey(p.metadata.namespace ?? '', p.metadata.name));
      enqueue(GATEWAY_CONFIG_KEY);
    }, config.resyncSeconds * 1000);
    resync.unref();

    return {
      ready: () => Object.values(informers).every((i) => i.hasSynced()),
      stats: () => Object.fromEntries(Object.entries(informers).map(([k, i]) => [k, i.stats()])),
      async close() {
        stopping = true;
        stop.abort();
        clearInterval(resync);
        queue.shutDown();
        for (const inf of Object.values(informers)) inf.close();
        await worker.catch(() => undefined);
      },
    };
  }

  return {
    metrics,
    isLeader: () => elector.isLeader() && controllers !== undefined,
    ready: () => (controllers ? controllers.ready() : true),
    informerStats: () => controllers?.stats() ?? {},
    async close() {
      closed = true;
      const c = controllers;
      controllers = undefined;
      await c?.close();
      await elector.close();
      metrics.leader.set(0);
    },
  };
}
