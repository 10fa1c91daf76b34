import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './backoff.js';

describe('retry backoff', () => {
  it('doubles from the initial delay and stops at the maximum', () => {
    const policy = { maxAttempts: 10, initialBackoffSeconds: 5, maxBackoffSeconds: 30 };
    expect([1, 2, 3, 4, 5].map((a) => retryDelayMs(policy, a))).toEqual([
      5_000, 10_000, 20_000, 30_000, 30_000,
    ]);
  });
});
