import type { RetryPolicy } from '@stargate/contracts';

/** Exponential backoff: initial × 2^(attempt-1), capped; `attempt` is the one that just failed. */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  const seconds = Math.min(
    policy.initialBackoffSeconds * 2 ** Math.max(0, attempt - 1),
    policy.maxBackoffSeconds,
  );
  return Math.round(seconds * 1000);
}
