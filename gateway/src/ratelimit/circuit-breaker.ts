/**
 * Closed: calls go through. A failure opens it for `cooldownMs`, during which callers use their
 * fallback at once instead of waiting on a dead dependency; then one trial call is let through.
 */
export function createCircuitBreaker(deps: { now: () => number; cooldownMs?: number }) {
  const cooldownMs = deps.cooldownMs ?? 5000;
  let openUntil = 0;
  let trialInFlight = false;
  return {
    /** Whether the protected call should be attempted now. */
    allowRequest(): boolean {
      if (openUntil === 0) return true;
      if (deps.now() < openUntil || trialInFlight) return false;
      trialInFlight = true;
      return true;
    },
    success(): void {
      openUntil = 0;
      trialInFlight = false;
    },
    failure(): void {
      openUntil = deps.now() + cooldownMs;
      trialInFlight = false;
    },
    isOpen(): boolean {
      return openUntil !== 0;
    },
  };
}
