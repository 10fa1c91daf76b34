import { describe, expect, it } from 'vitest';
import { type BucketSpec, gcraStep } from './gcra.js';
import { createLocalLimiter } from './local-limiter.js';

const spec: BucketSpec = { key: 'k', name: 'tenant', requestsPerMinute: 60, burst: 3 };

describe('GCRA', () => {
  it('allows the burst at once, then one request per emission interval — no double burst at an edge', () => {
    let now = 1_000_000;
    const limiter = createLocalLimiter({ now: () => now });
    const take = () => limiter.check([spec]).allowed;
    expect([take(), take(), take(), take()]).toEqual([true, true, true, false]);
    now += 999;
    expect(take()).toBe(false);
    now += 1;
    expect([take(), take()]).toEqual([true, false]);
    // After a long idle period the bucket is full again, but never more than the burst.
    now += 600_000;
    expect([take(), take(), take(), take()]).toEqual([true, true, true, false]);
  });

  it('charges every bucket only when all allow, and reports remaining and retry-after', () => {
    const type: BucketSpec = { key: 't', name: 'type-order', requestsPerMinute: 60, burst: 1 };
    const first = gcraStep([spec, type], [undefined, undefined], 0);
    expect(first.decision.allowed).toBe(true);
    expect(first.decision.buckets.map((b) => b.remaining)).toEqual([2, 0]);
    const second = gcraStep([spec, type], first.newTats, 0);
    expect(second.decision.allowed).toBe(false);
    expect(second.decision.buckets[1]!.retryAfterMs).toBe(1000);
    // The tenant bucket was not charged by the refused request.
    expect(second.decision.buckets[0]!.remaining).toBe(2);
  });
});
