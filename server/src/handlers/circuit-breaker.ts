/**
 * Consecutive-failure circuit breaker: after `failureThreshold` failures in a row it opens
 * and rejects calls for `openMs`; then one trial call decides whether it closes again.
 */
export interface CircuitBreaker {
  /** Whether a call may go through now (half-open lets one trial through). */
  allow(): boolean;
  success(): void;
  failure(): void;
  state(): 'closed' | 'open' | 'half-open';
}

export function createCircuitBreaker(options: {
  failureThreshold: number;
  openMs: number;
  now?: () => number;
}): CircuitBreaker {
  const now = options.now ?? Date.now;
  let failures = 0;
  let openedAt: number | undefined;
  let trialInFlight = false;

  const state = (): 'closed' | 'open' | 'half-open' => {
    if (openedAt === undefined) return 'closed';
    return now() - openedAt >= options.openMs ? 'half-open' : 'open';
  };

  return {
    state,
    allow() {
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
      if (openedAt !== undefined || failures >= options.failureThreshold) openedAt = now();
    },
  };
}
