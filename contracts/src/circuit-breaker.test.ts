import { describe, expect, it } from 'vitest';
import { createCircuitBreaker } from './circuit-breaker.js';

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('circuit breaker', () => {
  it('opens on the first failure by default and lets one trial through after the cool-down', () => {
    const c = clock();
    const breaker = createCircuitBreaker({ now: c.now });
    expect(breaker.allowRequest()).toBe(true);
    breaker.failure();
    expect(breaker.state()).toBe('open');
    expect(breaker.allowRequest()).toBe(false);
    c.advance(4999);
    expect(breaker.allowRequest()).toBe(false);
    c.advance(1);
    expect(breaker.state()).toBe('half-open');
    expect(breaker.allowRequest()).toBe(true);
    // Only one trial at a time: everyone else keeps using the fallback.
    expect(breaker.allowRequest()).toBe(false);
    breaker.success();
    expect(breaker.state()).toBe('closed');
    expect(breaker.allowRequest()).toBe(true);
  });

  it('stays closed below the threshold, and a success resets the streak', () => {
    const c = clock();
    const breaker = createCircuitBreaker({ failureThreshold: 3, openMs: 1000, now: c.now });
    breaker.failure();
    breaker.failure();
    breaker.success();
    breaker.failure();
    breaker.failure();
    expect(breaker.state()).toBe('closed');
    breaker.failure();
    expect(breaker.state()).toBe('open');
    expect(breaker.allowRequest()).toBe(false);
  });

  it('opens for a whole new period when the trial fails', () => {
    const c = clock();
    const breaker = createCircuitBreaker({ failureThreshold: 5, openMs: 1000, now: c.now });
    for (let i = 0; i < 5; i++) breaker.failure();
    c.advance(1000);
    expect(breaker.allowRequest()).toBe(true);
    breaker.failure();
    c.advance(999);
    expect(breaker.allowRequest()).toBe(false);
    c.advance(1);
    expect(breaker.allowRequest()).toBe(true);
  });

  it('refuses a threshold that is not a positive integer, or a negative open time', () => {
    expect(() => createCircuitBreaker({ failureThreshold: 0 })).toThrow(/failureThreshold/);
    expect(() => createCircuitBreaker({ openMs: -1 })).toThrow(/openMs/);
  });
});
