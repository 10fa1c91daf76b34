import { HTTP_HEADERS, PROCESSES_PATH, type SubmitAccepted, type SubmitRequest } from '@stargate/contracts';
import { type BackoffOptions, createBackoff } from '../backoff/backoff.js';
import type { Clock } from '../clock.js';
import { ProblemError, StarGateError, TransientError } from '../errors.js';
import type { AlertEvent } from '../events.js';
import type { HttpClient } from '../http/http-client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { OutboxEntry, Store, TrackedProcess } from './store.js';

/** How a caller waiting for a submission learns its fate: sent and accepted, or still queued. */
export type SendOutcome = 'accepted' | 'queued';

interface Waiter {
  resolve(outcome: SendOutcome): void;
  reject(err: unknown): void;
}

export interface SenderDeps {
  store: Store;
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  backoff?: BackoffOptions;
  /** Aborted by `close()`: the loop stops at its next step. */
  signal: AbortSignal;
  /** The gateway accepted an entry (its answer), before its waiters are settled. */
  onAccepted(body: SubmitAccepted): void;
  /** The accepted entry's process, now tracked in the store, after its waiters are settled. */
  onTracked(tracked: TrackedProcess): void;
  onAlert(event: AlertEvent): void;
  onOffline(error: string): void;
  onOnline(): void;
}

/**
 * The outbox sender: one loop that sends queued submissions strictly in submission order,
 * backs off on transient failures, and settles the callers waiting for an entry.
 */
export function createOutboxSender(deps: SenderDeps) {
  const { store, http, clock, logger, metrics, signal } = deps;
  const waiters = new Map<string, Waiter[]>();
  let sending: Promise<void> | undefined;
  let resend = false;
  let wake = new AbortController();
  let passWaiters: (() => void)[] = [];

  function settle(key: string, fn: (w: Waiter) => void) {
    const list = waiters.get(key);
    waiters.delete(key);
    for (const w of list ?? []) fn(w);
  }

  function settleAllQueued() {
    for (const key of [...waiters.keys()]) settle(key, (w) => w.resolve('queued'));
  }

  function endPass() {
    const list = passWaiters;
    passWaiters = [];
    for (const fn of list) fn();
  }

  async function sendOne(entry: OutboxEntry): Promise<void> {
    const body: SubmitRequest = {
      processType: entry.processType,
      idempotencyKey: entry.idempotencyKey,
      data: entry.data,
      // Required by the API; entries queued before it was have their (stable) key instead.
      clientProcessId: entry.clientProcessId ?? entry.idempotencyKey,
    };
    const res = await http.request<SubmitAccepted>({
      method: 'POST',
      path: PROCESSES_PATH,
      body,
      headers: { [HTTP_HEADERS.idempotencyKey]: entry.idempotencyKey },
      signal,
    });
    if (typeof res.body?.processId !== 'string')
      throw new StarGateError(`gateway answered ${res.status} without a processId`);
    const tracked = store.accept(entry, res.body, clock.now());
    metrics.submissions.add(1, { processType: entry.processType, outcome: 'accepted' });
    logger.info(
      {
        event: 'submit.accepted',
        processId: tracked.processId,
        processType: entry.processType,
        clientProcessId: entry.clientProcessId,
        correlationId: res.correlationId,
        attempts: entry.attempts + 1,
      },
      'submission accepted',
    );
    deps.onAccepted(res.body);
    settle(entry.idempotencyKey, (w) => w.resolve('accepted'));
    deps.onTracked(tracked);
  }

  async function retryLater(entry: OutboxEntry, err: Error, backoff: ReturnType<typeof createBackoff>) {
    const message = err.message;
    store.recordAttempt(entry.idempotencyKey, message);
    const step = backoff.next(err);
    metrics.sendFailures.add(1, { processType: entry.processType });
    logger.warn(
      {
        event: 'submit.retry',
        idempotencyKey: entry.idempotencyKey,
        retry: step.retry,
        delayMs: step.delayMs,
        error: message,
      },
      'sending queued submission failed; backing off',
    );
    deps.onOffline(message);
    settleAllQueued();
    if (step.exhausted) {
      metrics.alerts.add(1, { operation: 'send' });
      logger.error(
        { event: 'submit.alert', retries: step.retry - 1, error: message },
        'send retries exhausted; queue kept',
      );
      deps.onAlert({
        operation: 'send',
        idempotencyKey: entry.idempotencyKey,
        retries: step.retry - 1,
        error: message,
      });
    }
    endPass();
    try {
      await clock.sleep(step.delayMs, AbortSignal.any([signal, wake.signal]));
    } catch {
      // Woken early by flush() or stopped by close(): the loop head decides which.
    }
  }

  async function drainOutbox(): Promise<void> {
    const backoff = createBackoff(deps.backoff);
    for (;;) {
      if (signal.aborted) return;
      const entry = store.nextQueued();
      if (!entry) {
        endPass();
        return;
      }
      try {
        await sendOne(entry);
        backoff.reset();
        deps.onOnline();
      } catch (err) {
        if (signal.aborted) return;
        const inUse = err instanceof ProblemError && err.code === 'IDEMPOTENCY_KEY_IN_USE';
        if (err instanceof TransientError || inUse) {
          await retryLater(entry, err as Error, backoff);
          continue;
        }
        if (err instanceof ProblemError) {
          store.reject(entry.idempotencyKey, err.message, err.status);
          metrics.submissions.add(1, { processType: entry.processType, outcome: 'rejected' });
          logger.warn(
            {
              event: 'submit.rejected',
              idempotencyKey: entry.idempotencyKey,
              status: err.status,
              code: err.code,
            },
            'submission rejected permanently',
          );
          settle(entry.idempotencyKey, (w) => w.reject(err));
          continue;
        }
        // Bad credentials (or a bug): nothing in the queue can go out; keep it and tell the callers.
        logger.error({ event: 'submit.stopped', error: (err as Error).message }, 'sending stopped');
        for (const key of [...waiters.keys()]) settle(key, (w) => w.reject(err));
        endPass();
        return;
      }
    }
  }

  /** Starts the loop, or makes the running one go over the queue once more. */
  function kick(): void {
    if (signal.aborted) return;
    if (sending) {
      resend = true;
      return;
    }
    sending = (async () => {
      do {
        resend = false;
        await drainOutbox();
      } while (resend && !signal.aborted);
    })().finally(() => {
      sending = undefined;
      if (resend) kick();
    });
  }

  return {
    kick,
    /** Settles when the entry is accepted ('accepted'), fails transiently ('queued') or is rejected (throws). */
    waitAccepted(key: string): Promise<SendOutcome> {
      return new Promise<SendOutcome>((resolve, reject) => {
        waiters.set(key, [...(waiters.get(key) ?? []), { resolve, reject }]);
      });
    },
    /** Sends now (waking a back-off sleep); resolves after one pass over the queue. */
    async flush(): Promise<void> {
      const pass = new Promise<void>((resolve) => passWaiters.push(resolve));
      wake.abort();
      wake = new AbortController();
      kick();
      await pass;
    },
    /** After the signal aborted: releases every waiter; resolves when the loop has stopped. */
    async stopped(): Promise<void> {
      settleAllQueued();
      endPass();
      await sending;
    },
  };
}

export type OutboxSender = ReturnType<typeof createOutboxSender>;
