import type { Logger } from 'pino';
import type { ServerMetrics } from '../observability/metrics.js';
import type { ProcessStore } from '../store/process-store.js';

export interface StoreOutage {
  /** Called with the error of any operation that found MongoDB unreachable. */
  onStoreUnavailable(err: unknown): void;
  /** Whether MongoDB answered last time it was asked. */
  up(): boolean;
  close(): void;
}

/**
 * While MongoDB is unreachable, consuming pauses (nothing could be recorded) and MongoDB is
 * probed with backoff (200 ms doubling to 5 s); consuming resumes once it answers.
 */
export function watchStoreOutages(deps: {
  store: Pick<ProcessStore, 'ping'>;
  metrics: ServerMetrics;
  logger: Logger;
  stopping(): boolean;
  pause(): Promise<void>;
  resume(): Promise<void>;
}): StoreOutage {
  const { logger } = deps;
  let storeUp = true;
  let probe: NodeJS.Timeout | undefined;
  return {
    onStoreUnavailable(err) {
      if (!storeUp || deps.stopping()) return;
      storeUp = false;
      deps.metrics.errors.inc({ component: 'mongodb' });
      logger.warn(
        { err: (err as Error).message },
        'MongoDB unavailable: consuming paused until it answers again',
      );
      void deps.pause();
      let delay = 200;
      const check = () => {
        deps.store.ping().then(
          () => {
            storeUp = true;
            logger.info('MongoDB is back: consuming resumed');
            deps.resume().catch((e: Error) => logger.error({ err: e }, 'could not resume consuming'));
          },
          () => {
            delay = Math.min(delay * 2, 5_000);
            if (!deps.stopping()) probe = setTimeout(check, delay);
          },
        );
      };
      probe = setTimeout(check, delay);
    },
    up: () => storeUp,
    close() {
      if (probe) clearTimeout(probe);
    },
  };
}
