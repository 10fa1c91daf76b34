import type { ProcessStatusBody } from '@stargate/contracts';
import type { ResultHandler } from '../events.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store, StoredResult } from '../outbox/store.js';

export type ResultKind = 'completed' | 'failed';

export interface DeliveryDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Delay before retrying a result whose handler threw (ms). */
  retryDelayMs: number;
  signal: AbortSignal;
}

function kindOf(r: StoredResult): ResultKind {
  return r.status === 'completed' ? 'completed' : 'failed';
}

/**
 * At-least-once delivery of stored results: a result is marked consumed only after every
 * handler registered for its type and outcome returned. A throwing handler leaves it pending
 * and it is offered again later (and after a restart).
 */
export function createResultDelivery(deps: DeliveryDeps) {
  const handlers = new Map<string, ResultHandler[]>();
  let running: Promise<void> | undefined;
  let rerun = false;
  let retryTimer: Promise<void> | undefined;

  const key = (kind: ResultKind, type: string) => `${kind}:${type}`;

  function handlersFor(r: StoredResult): ResultHandler[] {
    const kind = kindOf(r);
    return [...(handlers.get(key(kind, r.processType)) ?? []), ...(handlers.get(key(kind, '*')) ?? [])];
  }

  async function deliverOne(r: StoredResult, fns: ResultHandler[]): Promise<boolean> {
    const log = { processId: r.processId, processType: r.processType, status: r.status };
    try {
      for (const fn of fns) await fn(r.view);
      deps.store.markConsumed(r.processId, deps.clock.now());
      deps.metrics.deliveries.add(1, { processType: r.processType, outcome: 'delivered' });
      deps.logger.info({ ...log, event: 'result.delivered' }, 'result delivered');
      return true;
    } catch (err) {
      deps.store.markDeliveryFailed(r.processId);
      deps.metrics.deliveries.add(1, { processType: r.processType, outcome: 'handler_error' });
      deps.logger.error(
        {
          ...log,
          event: 'result.handler_failed',
          error: (err as Error).message,
          attempt: r.deliveryAttempts + 1,
        },
        'result handler threw; will deliver again',
      );
      return false;
    }
  }

  async function drain(): Promise<void> {
    let failed = false;
    for (const r of deps.store.pendingResults()) {
      if (deps.signal.aborted) return;
      const fns = handlersFor(r);
      if (fns.length === 0) continue;
      if (!(await deliverOne(r, fns))) failed = true;
    }
    if (failed && !retryTimer) {
      retryTimer = deps.clock
        .sleep(deps.retryDelayMs, deps.signal)
        .then(() => {
          retryTimer = undefined;
          kick();
        })
        .catch(() => undefined);
    }
  }

  function kick(): Promise<void> {
    if (deps.signal.aborted) return Promise.resolve();
    if (running) {
      rerun = true;
      return running;
    }
    running = (async () => {
      do {
        rerun = false;
        await drain();
      } while (rerun && !deps.signal.aborted);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    on(kind: ResultKind, processType: string, fn: ResultHandler): () => void {
      const k = key(kind, processType);
      handlers.set(k, [...(handlers.get(k) ?? []), fn]);
      void kick();
      return () => {
        handlers.set(
          k,
          (handlers.get(k) ?? []).filter((h) => h !== fn),
        );
      };
    },
    /** Stores a final view (first one wins) and offers pending results to their handlers. */
    store(view: ProcessStatusBody): void {
      deps.store.storeResult(view, deps.clock.now());
      void kick();
    },
    deliverPending: kick,
    async close(): Promise<void> {
      await running;
    },
  };
}
