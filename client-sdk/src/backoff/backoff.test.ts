import { describe, expect, it } from 'vitest';
import { TransientError } from '../errors.js';
import { createBackoff } from './backoff.js';

describe('backoff', () => {
  it('is 5, 10, 20, 40, 80 s, exhausted exactly once after 5 retries, then stays at 80 s', () => {
    const b = createBackoff();
    const steps = Array.from({ length: 8 }, () => b.next());
    expect(steps.map((s) => s.delayMs / 1000)).toEqual([5, 10, 20, 40, 80, 80, 80, 80]);
    expect(steps.map((s) => s.exhausted)).toEqual([false, false, false, false, false, true, false, false]);
    b.reset();
    expect(b.next()).toEqual({ retry: 1, delayMs: 5000, exhausted: false });
  });

  it("takes the server's Retry-After instead of the series", () => {
    const b = createBackoff();
    expect(b.next(new TransientError('429', 429, 12_000)).delayMs).toBe(12_000);
    expect(b.next(new TransientError('503', 503)).delayMs).toBe(10_000);
  });

  it('spreads delays by at most the jitter fraction', () => {
    const low = createBackoff({ jitter: 0.2, random: () => 0 });
    const high = createBackoff({ jitter: 0.2, random: () => 0.999999 });
    expect(low.next().delayMs).toBe(4000);
    expect(high.next().delayMs).toBe(6000);
  });
});
