import {
  HTTP_HEADERS,
  isTerminal,
  type PollingHints,
  type ProcessStatusBody,
  statusPath,
} from '@stargate/contracts';
import { type BackoffOptions, createBackoff } from '../backoff/backoff.js';
import type { AlertEvent, WarningEvent } from '../events.js';
import type { Clock } from '../clock.js';
import { TransientError } from '../errors.js';
import type { HttpClient } from '../http/http-client.js';
import { parseRetryAfter } from '../http/retry-after.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { TrackedProcess } from '../outbox/store.js';
import { isOverdue, nextPollDelay } from './schedule.js';

export interface PollerDeps {
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  hints(processType: string): Promise<PollingHints>;
  longPollSeconds: number;
  backoff?: BackoffOptions;
  /** A newer view was seen (not yet terminal). */
  onView(view: ProcessStatusBody): void;
  onWarning(event: WarningEvent): void;
  onAlert(event: AlertEvent): void;
  onOffline(error: string): void;
  onOnline(): void;
}

type Mode = 'fast' | 'slow' | 'long' | 'backoff';

/**
 * Polls one process until it reaches a final status and returns that view. Follows the type's
 * schedule, switches to long polls when the gateway applies `Prefer: wait`, honours
 * `Retry-After`, backs off on transient failures (alerting once the budget is used up) and
 * never gives up on its own: only the signal stops it.
 */
export async function pollProcess(
  deps: PollerDeps,
  tracked: TrackedProcess,
  signal: AbortSignal,
): Promise<ProcessStatusBody> {
  const { clock, logger, metrics } = deps;
  const hints = await deps.hints(tracked.processType);
  const attrs = { processType: tracked.processType };
  const log = { processId: tracked.processId, processType: tracked.processType };
  const backoff = createBackoff(deps.backoff);
  let version = tracked.version;
  let etag: string | undefined;
  let warned = tracked.warned;
  let mode: Mode | undefined;
  let polls = 0;
  let nextAt = tracked.acceptedAt + hints.firstPollSeconds * 1000;

  const setMode = (next: Mode, delayMs: number) => {
    if (next !== mode && next !== 'backoff' && mode !== 'backoff') {
      logger.info(
        { ...log, event: 'poll.interval', from: mode ?? 'start', to: next, delayMs },
        'polling interval changed',
      );
    }
    mode = next;
  };

  for (;;) {
    const wait = Math.max(0, nextAt - clock.now());
    if (wait > 0) {
      await clock.sleep(wait, signal);
      metrics.phaseTime.add(wait / 1000, { ...attrs, phase: mode ?? 'fast' });
    }
    signal.throwIfAborted();
    const elapsed = clock.now() - tracked.acceptedAt;
    if (!warned && isOverdue(elapsed, hints)) {
      warned = true;
      const message = `process ${tracked.processId} still running after ${Math.round(elapsed / 1000)} s (max ${hints.maxTimeoutSeconds} s); still polling`;
      logger.warn({ ...log, event: 'poll.timeout', elapsedMs: elapsed }, message);
      metrics.timeouts.add(1, attrs);
      deps.onWarning({
        processId: tracked.processId,
        processType: tracked.processType,
        message,
        elapsedMs: elapsed,
      });
    }
    const headers: Record<string, string> = {};
    if (etag) headers['if-none-match'] = etag;
    if (deps.longPollSeconds > 0) headers[HTTP_HEADERS.prefer] = `wait=${deps.longPollSeconds}`;
    polls += 1;
    metrics.polls.add(1, attrs);
    logger.debug({ ...log, event: 'poll.start', poll: polls }, 'poll start');
    try {
      const res = await deps.http.request<ProcessStatusBody>({
        method: 'GET',
        path: statusPath(tracked.processId),
        headers,
        signal,
        ...(deps.longPollSeconds > 0 ? { timeoutMs: deps.longPollSeconds * 1000 + 15_000 } : {}),
      });
      if (backoff.failures > 0) deps.onOnline();
      backoff.reset();
      const newEtag = res.headers.get('etag');
      if (newEtag) etag = newEtag;
      const view = res.status === 200 ? res.body : undefined;
      logger.debug(
        {
          ...log,
          event: 'poll.end',
          poll: polls,
          httpStatus: res.status,
          status: view?.status,
          correlationId: res.correlationId,
        },
        'poll end',
      );
      let changed = false;
      // Only a newer version counts: after a retry the old failure (same version) is still served for a while.
      if (view && view.version > version) {
        changed = true;
        version = view.version;
        if (isTerminal(view.status)) {
          metrics.pollsPerProcess.record(polls, attrs);
          return view;
        }
        deps.onView(view);
      }
      const now = clock.now();
      const applied = res.headers.get(HTTP_HEADERS.preferenceApplied) ?? '';
      const retryAfter = parseRetryAfter(res.headers.get(HTTP_HEADERS.retryAfter), now);
      if (/\bwait\b/i.test(applied)) {
        // Long poll: the gateway held the request until a change or its wait ran out, so ask
        // again at once (its Retry-After is meant for plain pollers); a short pause after an
        // unchanged answer guards against a busy loop.
        setMode('long', 0);
        nextAt = changed ? now : now + 1000;
      } else {
        const scheduled = nextPollDelay(now - tracked.acceptedAt, hints);
        const delayMs = retryAfter ?? scheduled.delayMs;
        setMode(scheduled.phase, delayMs);
        nextAt = now + delayMs;
      }
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (!(err instanceof TransientError)) throw err;
      const step = backoff.next(err);
      metrics.pollFailures.add(1, { ...attrs, status: String(err.status ?? 'network') });
      logger.warn(
        { ...log, event: 'poll.failed', retry: step.retry, delayMs: step.delayMs, error: err.message },
        'poll failed, backing off',
      );
      if (step.retry === 1) deps.onOffline(err.message);
      if (step.exhausted) {
        metrics.alerts.add(1, { operation: 'poll' });
        logger.error(
          { ...log, event: 'poll.alert', retries: step.retry - 1, error: err.message },
          'poll retries exhausted; still tracking',
        );
        deps.onAlert({
          operation: 'poll',
          processId: tracked.processId,
          retries: step.retry - 1,
          error: err.message,
        });
      }
      mode = 'backoff';
      nextAt = clock.now() + step.delayMs;
    }
  }
}
