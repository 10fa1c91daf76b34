import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** All gateway metrics on one registry per gateway, so two gateways in one process stay apart. */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'gateway_' });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'gateway_requests_total',
      help: 'HTTP requests answered, by route template, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: 'gateway_request_duration_seconds',
      help: 'Time to answer an HTTP request',
      labelNames: ['route', 'method'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    authFailures: new Counter({
      name: 'gateway_auth_failures_total',
      help: 'Refused authentications, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    rateLimitExceeded: new Counter({
      name: 'gateway_rate_limit_exceeded_total',
      help: 'Requests refused with 429, by tenant',
      labelNames: ['tenant'] as const,
      registers,
    }),
    rateLimitFallback: new Counter({
      name: 'gateway_ratelimit_fallback_total',
      help: 'Rate-limit decisions taken by the local limiter because Redis failed',
      registers,
    }),
    publishDuration: new Histogram({
      name: 'gateway_publish_duration_seconds',
      help: 'Time from publish to broker confirm',
      labelNames: ['exchange', 'result'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    configReloads: new Counter({
      name: 'gateway_config_reloads_total',
      help: 'Configuration documents applied or rejected',
      labelNames: ['result'] as const,
      registers,
    }),
    projectedEvents: new Counter({
      name: 'gateway_projected_events_total',
      help: 'State events consumed by the projector, by outcome (applied, stale, invalid)',
      labelNames: ['result'] as const,
      registers,
    }),
    auditFailures: new Counter({
      name: 'gateway_audit_publish_failures_total',
      help: 'Audit records that could not be handed to the broker',
      registers,
    }),
    redisErrors: new Counter({
      name: 'gateway_redis_errors_total',
      help: 'Redis operations that failed, by operation',
      labelNames: ['operation'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
