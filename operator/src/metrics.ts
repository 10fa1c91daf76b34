import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface OperatorMetrics {
  registry: Registry;
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  reconcileDuration: Histogram<'controller'>;
  queueDepth: Gauge;
  leader: Gauge;
  gatewayConfigUpdates: Counter;
}

export function createMetrics(registry = new Registry()): OperatorMetrics {
  return {
    registry,
    reconcileTotal: new Counter({
      name: 'stargate_operator_reconcile_total',
      help: 'Reconciles by controller and result (success, error, requeue)',
      labelNames: ['controller', 'result'],
      registers: [registry],
    }),
    reconcileErrors: new Counter({
      name: 'stargate_operator_reconcile_errors_total',
      help: 'Reconciles that failed and were requeued with backoff',
      labelNames: ['controller'],
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: 'stargate_operator_reconcile_duration_seconds',
      help: 'Reconcile duration',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'stargate_operator_workqueue_depth',
      help: 'Keys waiting in the work queue',
      registers: [registry],
    }),
    leader: new Gauge({
      name: 'stargate_operator_leader',
      help: '1 while this replica holds the leader lease',
      registers: [registry],
    }),
    gatewayConfigUpdates: new Counter({
      name: 'stargate_operator_gateway_config_updates_total',
      help: 'Times a new GatewayConfig revision was written',
      registers: [registry],
    }),
  };
}
