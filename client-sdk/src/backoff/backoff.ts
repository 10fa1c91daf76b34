import { TransientError } from '../errors.js';

export interface BackoffOptions {
  /** First delay (ms). Default 5000. */
  initialDelayMs?: number;
  /** Retries before an `alert`. Default 5 (delays 5, 10, 20, 40, 80 s). */
  maxRetries?: number;
  /** Spread each delay by up to ±this fraction (0..1) to avoid thundering herds. Default 0. */
  jitter?: number;
  random?: () => number;
}

export interface BackoffStep {
  /** 1-based retry number within the current failure streak. */
  retry: number;
  delayMs: number;
  /** True exactly once per streak: the retry budget is used up and the caller should raise an alert. */
  exhausted: boolean;
}

/**
 * Exponential backoff for one failure streak. After `maxRetries` the caller raises an alert
 * but keeps going at the last (largest) delay: the SDK never silently forgets a process.
 */
export function createBackoff(options: BackoffOptions = {}) {
  const initial = options.initialDelayMs ?? 5000;
  const maxRetries = options.maxRetries ?? 5;
  const jitter = options.jitter ?? 0;
  const random = options.random ?? Math.random;
  let failures = 0;
  return {
    get failures() {
      return failures;
    },
    /** The delay before the next retry after `error`; a server Retry-After wins over the series. */
    next(error?: unknown): BackoffStep {
      failures += 1;
      const exponent = Math.min(failures, maxRetries) - 1;
      let delayMs = initial * 2 ** exponent;
      if (jitter > 0) delayMs = Math.round(delayMs * (1 + jitter * (2 * random() - 1)));
      if (error instanceof TransientError && error.retryAfterMs !== undefined) delayMs = error.retryAfterMs;
      return { retry: failures, delayMs, exhausted: failures === maxRetries + 1 };
    },
    reset() {
      failures = 0;
    },
  };
}

export type Backoff = ReturnType<typeof createBackoff>;
