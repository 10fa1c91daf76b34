import type { MongoClient } from 'mongodb';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The MongoDB driver's connection pools, from its CMAP events (one pool per server address):
 * connections open and checked out, operations waiting for a connection, the pool's limit,
 * how long a check-out took and the check-outs that failed (`reason`: timeout, poolClosed,
 * connectionError). Listeners go on before connect(), so the pools' creation is seen.
 */
export function observeMongoPool(client: MongoClient): { register(registry: Registry): void } {
  const metrics = {
    connections: new Gauge({
      name: 'server_mongodb_pool_connections',
      help: 'Connections open in the MongoDB driver pool, by server address',
      labelNames: ['address'] as const,
      registers: [],
    }),
    checkedOut: new Gauge({
      name: 'server_mongodb_pool_checked_out_connections',
      help: 'Connections lent to an operation right now, by server address',
      labelNames: ['address'] as const,
      registers: [],
    }),
    waitQueue: new Gauge({
      name: 'server_mongodb_pool_wait_queue_size',
      help: 'Operations waiting for a connection of the pool, by server address',
      labelNames: ['address'] as const,
      registers: [],
    }),
    maxSize: new Gauge({
      name: 'server_mongodb_pool_max_connections',
      help: 'The pool limit (maxPoolSize), by server address',
      labelNames: ['address'] as const,
      registers: [],
    }),
    checkoutDuration: new Histogram({
      name: 'server_mongodb_pool_checkout_duration_seconds',
      help: 'Time an operation waited for a connection (successful check-outs)',
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [],
    }),
    checkoutFailures: new Counter({
      name: 'server_mongodb_pool_checkout_failures_total',
      help: 'Check-outs that failed, by reason (timeout, poolClosed, connectionError)',
      labelNames: ['reason'] as const,
      registers: [],
    }),
  };
  const address = (e: { address: string }) => ({ address: e.address });
  client.on('connectionPoolCreated', (e) => {
    metrics.maxSize.set(address(e), e.options.maxPoolSize);
    for (const g of [metrics.connections, metrics.checkedOut, metrics.waitQueue]) g.set(address(e), 0);
  });
  client.on('connectionPoolClosed', (e) => {
    for (const g of [metrics.connections, metrics.checkedOut, metrics.waitQueue, metrics.maxSize])
      g.remove(address(e));
  });
  client.on('connectionCreated', (e) => metrics.connections.inc(address(e)));
  client.on('connectionClosed', (e) => metrics.connections.dec(address(e)));
  client.on('connectionCheckOutStarted', (e) => metrics.waitQueue.inc(address(e)));
  client.on('connectionCheckOutFailed', (e) => {
    metrics.waitQueue.dec(address(e));
    metrics.checkoutFailures.inc({ reason: String(e.reason) });
  });
  client.on('connectionCheckedOut', (e) => {
    metrics.waitQueue.dec(address(e));
    metrics.checkedOut.inc(address(e));
    metrics.checkoutDuration.observe(e.durationMS / 1000);
  });
  client.on('connectionCheckedIn', (e) => metrics.checkedOut.dec(address(e)));
  return {
    register(registry) {
      for (const m of Object.values(metrics))
        registry.registerMetric(m as Parameters<Registry['registerMetric']>[0]);
    },
  };
}
