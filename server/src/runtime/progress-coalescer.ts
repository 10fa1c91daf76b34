import type { ProcessProgress } from '@stargate/contracts';

/**
 * Progress reports of one running handler, coalesced into at most one store write per
 * `intervalMs`: a report only replaces the pending one; a write starts `intervalMs` after the
 * previous write (the process's start counts as one), so a handler that finishes sooner makes
 * no progress write at all. The report still pending at the end is handed to the final write
 * (`close()`), so the last progress is always recorded.
 */
export interface ProgressCoalescer {
  report(progress: ProcessProgress): void;
  /**
   * Stops writing; waits for a write in flight. Returns the progress not yet written, or
   * throws the error of a write that failed (the delivery is then retried as a whole).
   */
  close(): Promise<ProcessProgress | undefined>;
}

export function createProgressCoalescer(options: {
  intervalMs: number;
  write(progress: ProcessProgress): Promise<void>;
  now?: () => number;
}): ProgressCoalescer {
  const now = options.now ?? Date.now;
  let lastWrite = now();
  let pending: ProcessProgress | undefined;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let failure: unknown;
  let closed = false;

  const schedule = () => {
    if (closed || timer || inFlight || !pending || failure !== undefined) return;
    timer = setTimeout(flush, Math.max(0, lastWrite + options.intervalMs - now()));
  };

  function flush(): void {
    timer = undefined;
    const progress = pending;
    if (!progress || closed) return;
    pending = undefined;
    lastWrite = now();
    inFlight = options
      .write(progress)
      .catch((err: unknown) => {
        failure = err;
      })
      .finally(() => {
        inFlight = undefined;
        schedule();
      });
  }

  return {
    report(progress) {
      pending = progress;
      schedule();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      while (inFlight) await inFlight;
      if (failure !== undefined) throw failure;
      return pending;
    },
  };
}
