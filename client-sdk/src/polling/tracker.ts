import type { PollingHints, ProcessStatusBody, ProcessTypeInfo } from '@stargate/contracts';
import type { BackoffOptions } from '../backoff/backoff.js';
import type { Clock } from '../clock.js';
import { ProblemError } from '../errors.js';
import type { AlertEvent, WarningEvent } from '../events.js';
import type { HttpClient } from '../http/http-client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store, TrackedProcess } from '../outbox/store.js';
import { pollProcess } from './poller.js';
import { normalizeHints } from './schedule.js';

export interface TrackerDeps {
  store: Store;
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  longPollSeconds: number;
  backoff?: BackoffOptions;
  /** Aborted by `close()`: every poller stops. */
  signal: AbortSignal;
  /** The process types with their polling hints (asked once, again after a failure). */
  listTypes(): Promise<ProcessTypeInfo[]>;
  /** Stores a finished process's result for delivery to the handlers. */
  storeResult(view: ProcessStatusBody): void;
  onProgress(view: ProcessStatusBody): void;
  onFinished(kind: 'completed' | 'failed', view: ProcessStatusBody): void;
  onWarning(event: WarningEvent): void;
  onAlert(event: AlertEvent): void;
  onOffline(error: string): void;
  onOnline(): void;
}

/**
 * Follows tracked processes: one poller per process until it finishes, whose result is then
 * stored for delivery; per-process progress watchers for `pollUntilDone`.
 */
export function createTracker(deps: TrackerDeps) {
  const { store, logger, signal } = deps;
  const pollers = new Map<string, Promise<ProcessStatusBody>>();
  const progressWatchers = new Map<string, Set<(view: ProcessStatusBody) => void>>();
  let typeHints: Promise<Map<string, PollingHints>> | undefined;

  async function hintsFor(processType: string): Promise<PollingHints> {
    typeHints ??= deps
      .listTypes()
      .then((types) => new Map(types.map((t) => [t.name, normalizeHints(t.polling)])))
      .catch((err) => {
        // Without the hints the seed's defaults apply; ask again for the next process.
        logger.warn(
          { event: 'types.unavailable', error: (err as Error).message },
          'using default polling hints',
        );
        typeHints = undefined;
        return new Map<string, PollingHints>();
      });
    return (await typeHints).get(processType) ?? normalizeHints(undefined);
  }

  function finish(view: ProcessStatusBody): void {
    deps.storeResult(view);
    const kind = view.status === 'completed' ? 'completed' : 'failed';
    logger.info(
      {
        event: `process.${view.status}`,
        processId: view.processId,
        processType: view.processType,
        version: view.version,
      },
      `process ${view.status}`,
    );
    deps.onFinished(kind, view);
  }

  /** Polls the process until it finishes (once: a second call returns the same promise). */
  function track(tracked: TrackedProcess): Promise<ProcessStatusBody> {
    const existing = pollers.get(tracked.processId);
    if (existing) return existing;
    const p = pollProcess(
      {
        http: deps.http,
        clock: deps.clock,
        logger,
        metrics: deps.metrics,
        hints: hintsFor,
        longPollSeconds: deps.longPollSeconds,
        ...(deps.backoff ? { backoff: deps.backoff } : {}),
        onView(view) {
          store.updateTracked(view, false);
          deps.onProgress(view);
          for (const watch of progressWatchers.get(view.processId) ?? []) watch(view);
        },
        onWarning(event) {
          store.markWarned(event.processId);
          deps.onWarning(event);
        },
        onAlert: deps.onAlert,
        onOffline: deps.onOffline,
        onOnline: deps.onOnline,
      },
      tracked,
      signal,
    )
      .then((view) => {
        finish(view);
        return view;
      })
      .catch((err: unknown) => {
        if (err instanceof ProblemError && err.status === 404) {
          // Unknown to the gateway (expired, or never ours): polling further cannot help.
          store.untrack(tracked.processId);
          logger.error(
            { event: 'poll.not_found', processId: tracked.processId },
            'process not found; no longer tracked',
          );
        } else if (!signal.aborted) {
          logger.error(
            { event: 'poll.stopped', processId: tracked.processId, error: (err as Error).message },
            'polling stopped; resumes on restart',
          );
        }
        throw err;
      })
      .finally(() => pollers.delete(tracked.processId));
    // Background pollers must not surface as unhandled rejections; callers get `p` itself.
    p.catch(() => undefined);
    pollers.set(tracked.processId, p);
    return p;
  }

  return {
    track,
    /**
     * Calls `watch` with each view of the process until the returned function is called.
     * Per-process watchers rather than one more listener on the public emitter: hundreds of
     * concurrent pollUntilDone calls are normal and must not trip its leak warning.
     */
    watch(processId: string, watch: (view: ProcessStatusBody) => void): () => void {
      const watchers = progressWatchers.get(processId) ?? new Set();
      watchers.add(watch);
      progressWatchers.set(processId, watchers);
      return () => {
        watchers.delete(watch);
        if (watchers.size === 0) progressWatchers.delete(processId);
      };
    },
    /** The pollers still running (to await on close). */
    running(): Promise<ProcessStatusBody>[] {
      return [...pollers.values()];
    },
  };
}

export type Tracker = ReturnType<typeof createTracker>;
