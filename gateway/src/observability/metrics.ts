import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * All gateway metrics on one registry per gateway, so two gateways in one process stay apart.
 * Names and labels are listed in docs/observability.md; the chart's alerts and dashboard use them.
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'gateway_' });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'gateway_requests_total',
      help: 'HTTP requests answered, by route template, method, status and tenant ("" before authentication)',
      labelNames: ['route', 'method', 'status', 'tenant'] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: 'gateway_request_duration_seconds',
      help: 'Time to answer an HTTP request (long-polls excluded: see gateway_long_poll_duration_seconds)',
      labelNames: ['route', 'method', 'tenant'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 5, 10, 30, 60],
      registers,
    }),
    activeConnections: new Gauge({
      name: 'gateway_active_connections',
      help: 'Open client connections (TCP) of the HTTP listener',
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
    publishResends: new Counter({
      name: 'gateway_publish_resends_total',
      help: 'Messages sent again on a new broker connection because the old one closed before the confirm',
      labelNames: ['exchange'] as const,
      registers,
    }),
    publishChannelRenewals: new Counter({
      name: 'gateway_publish_channel_renewals_total',
      help: 'Publish channels replaced after the broker nacked a publish (the nacked message is sent once more on the fresh one)',
      registers,
    }),
    configReloads: new Counter({
      name: 'gateway_config_reloads_total',
      help: 'Configuration documents applied or rejected',
      labelNames: ['result'] as const,
      registers,
    }),
    tlsReloads: new Counter({
      name: 'gateway_tls_reloads_total',
      help: 'Serving certificates reloaded from their files (applied) or refused (rejected; the one in force stays)',
      labelNames: ['result'] as const,
      registers,
    }),
    tlsCertificateNotAfter: new Gauge({
      name: 'gateway_tls_certificate_not_after_seconds',
      help: 'Expiry (Unix time) of the certificate the gateway serves itself (only with gateway TLS)',
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
    stateRechecks: new Counter({
      name: 'gateway_state_rechecks_total',
      help: 'Stale non-terminal states re-checked with the server, by result (refreshed, current, skipped, failed)',
      labelNames: ['result'] as const,
      registers,
    }),
    redisErrors: new Counter({
      name: 'gateway_redis_errors_total',
      help: 'Redis operations that failed, by operation',
      labelNames: ['operation'] as const,
      registers,
    }),
    polls: new Counter({
      name: 'gateway_polls_total',
      help: 'Status requests of one process, by tenant, kind (status, long_poll) and result (answered, failed, expired, rejected)',
      labelNames: ['tenant', 'kind', 'result'] as const,
      registers,
    }),
    pollsEarly: new Counter({
      name: 'gateway_polls_early_total',
      help: 'Status polls that came sooner than half the Retry-After the previous answer gave (a client off its schedule)',
      labelNames: ['tenant'] as const,
      registers,
    }),
    pollConsecutiveFailures: new Gauge({
      name: 'gateway_poll_consecutive_failures',
      help: 'Status requests of one process that failed (5xx) in a row on this gateway; present only while failing',
      labelNames: ['tenant', 'process_id'] as const,
      registers,
    }),
    longPollsOverCap: new Counter({
      name: 'gateway_long_polls_over_cap_total',
      help: 'Long polls answered at once (no wait, no Preference-Applied) because the tenant held its cap of concurrent long polls on this instance',
      labelNames: ['tenant'] as const,
      registers,
    }),
    longPollDuration: new Histogram({
      name: 'gateway_long_poll_duration_seconds',
      help: 'How long long-polls (Prefer: wait) were held, by result',
      labelNames: ['result'] as const,
      buckets: [0.1, 0.5, 1, 5, 10, 20, 30, 45, 60],
      registers,
    }),
    timeToResult: new Histogram({
      name: 'gateway_time_to_result_seconds',
      help: 'From acceptance to the terminal state, by process type and terminal status',
      labelNames: ['type', 'status'] as const,
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600],
      registers,
    }),
    pollingTimeouts: new Counter({
      name: 'gateway_polling_timeouts_total',
      help: "Processes that reached their result later than their type's polling timeout (maxTimeoutSeconds)",
      labelNames: ['tenant', 'type'] as const,
      registers,
    }),
    processFailures: new Counter({
      name: 'gateway_process_failures_total',
      help: 'Processes that ended failed, by type and error code (codes outside [A-Z0-9_]{1,64} count as OTHER)',
      labelNames: ['type', 'code'] as const,
      registers,
    }),
    stateEvents: new Counter({
      name: 'gateway_state_events_total',
      help: 'State events of processes applied to the projection, by type and status',
      labelNames: ['type', 'status'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
