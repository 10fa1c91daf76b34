import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per server instance, so several in-process workers (tests) do not collide. */
export interface ServerMetrics {
  registry: Registry;
  processes: Counter<'type' | 'outcome'>;
  handlerDuration: Histogram<'type'>;
  retries: Counter<'type'>;
  deadLettered: Counter<'type'>;
  queueLag: Gauge<'type'>;
  queueWait: Histogram<'type'>;
  errors: Counter<'component'>;
}

export function createMetrics(
  queueDepth: (type: string) => Promise<number | undefined>,
  types: readonly string[],
) {
  const registry = new Registry();
  const metrics: ServerMetrics = {
    registry,
    processes: new Counter({
      name: 'server_processes_total',
      help: 'Processes finished by this worker, by type and outcome (completed, failed, cancelled).',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    }),
    handlerDuration: new Histogram({
      name: 'server_handler_duration_seconds',
      help: 'Time spent in the handler per attempt.',
      labelNames: ['type'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'server_retries_total',
      help: 'Automatic retries scheduled after a retryable failure.',
      labelNames: ['type'],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'server_dead_lettered_total',
      help: 'Requests that exceeded the delivery limit and were dead-lettered.',
      labelNames: ['type'],
      registers: [registry],
    }),
    queueLag: new Gauge({
      name: 'server_queue_lag_messages',
      help: 'Messages waiting in the work queue of a type (ready, not yet delivered).',
      labelNames: ['type'],
      registers: [registry],
      async collect() {
        for (const type of types) {
          const depth = await queueDepth(type).catch(() => undefined);
          if (depth !== undefined) this.set({ type }, depth);
        }
      },
    }),
    queueWait: new Histogram({
      name: 'server_queue_wait_seconds',
      help: 'Time a process request waited in its work queue (publish to first delivery), by type.',
      labelNames: ['type'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 300, 600, 1800, 3600],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'server_errors_total',
      help: 'Errors handled without crashing, by component.',
      labelNames: ['component'],
      registers: [registry],
    }),
  };
  return metrics;
}
