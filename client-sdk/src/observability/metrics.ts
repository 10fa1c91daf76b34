import { metrics, type Meter } from '@opentelemetry/api';

/**
 * Polling and outbox metrics through the OpenTelemetry API: without a registered MeterProvider
 * they are no-ops, with one the host application exports them.
 */
export function createMetrics(meter: Meter = metrics.getMeter('@stargate/client-sdk')) {
  return {
    polls: meter.createCounter('stargate.client.polls', { description: 'Status polls sent' }),
    pollFailures: meter.createCounter('stargate.client.poll.failures', {
      description: 'Status polls that failed transiently',
    }),
    timeouts: meter.createCounter('stargate.client.poll.timeouts', {
      description: 'Processes that ran past their type maximum duration',
    }),
    pollsPerProcess: meter.createHistogram('stargate.client.polls_per_process', {
      description: 'Polls needed until a process reached a final status',
    }),
    phaseTime: meter.createCounter('stargate.client.poll.phase_time', {
      description: 'Time spent waiting in each polling phase (fast, slow, long, backoff)',
      unit: 's',
    }),
    submissions: meter.createCounter('stargate.client.submissions', {
      description: 'Submissions by outcome (accepted, queued, rejected)',
    }),
    sendFailures: meter.createCounter('stargate.client.send.failures', {
      description: 'Transient failures sending queued submissions',
    }),
    deliveries: meter.createCounter('stargate.client.results.deliveries', {
      description: 'Result deliveries to handlers by outcome',
    }),
    alerts: meter.createCounter('stargate.client.alerts', { description: 'Retry budgets exhausted' }),
    meter,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
