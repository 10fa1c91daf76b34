/**
 * A consecutive-failure circuit breaker, the one the gateway and the server share. Closed:
 * calls go through. After `failureThreshold` failures in a row it opens for `openMs`, during
 * which callers use their fallback at once instead of waiting on a dead dependency; then it is
 * half-open and lets one trial call through, whose outcome closes it or opens it again.
 * Pure (no I/O, clock injected), so it lives with the other helpers every part shares.
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreaker {
  /** Whether the protected call should be attempted now (half-open lets one trial through). */
  allowRequest(): boolean;
  success(): void;
  failure(): void;
  state(): CircuitState;
}

export interface CircuitBreakerOptions {
  /** Failures in a row that open the circuit; default 1 (the first failure opens it). */
  failureThreshold?: number;
  /** How long it stays open before a trial call; default 5000 ms. */
  openMs?: number;
  now?: () => number;
}

export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const now = options.now ?? Date.now;
  const threshold = options.failureThreshold ?? 1;
  const openMs = options.openMs ?? 5000;
  if (!Number.isInteger(threshold) || threshold < 1)
    throw new RangeError(`failureThreshold must be a positive integer, got ${threshold}`);
  if (!(openMs >= 0)) throw new RangeError(`openMs must not be negative, got ${openMs}`);
  let failures = 0;
  let openedAt: number | undefined;
  let trialInFlight = false;

  const state = (): CircuitState => {
    if (openedAt === undefined) return 'closed';
    return now() - openedAt >= openMs ? 'half-open' : 'open';
  };

  return {
    state,
    allowRequest() {
      const s = state();
      if (s === 'closed') return true;
      if (s === 'open' || trialInFlight) return false;
      trialInFlight = true;
      return true;
    },
    success() {
      failures = 0;
      openedAt = undefined;
      trialInFlight = false;
    },
    failure() {
      trialInFlight = false;
      failures += 1;
      // A failed trial (or any failure while open) starts a new open period.
      if (openedAt !== undefined || failures >= threshold) openedAt = now();
    },
  };
}
