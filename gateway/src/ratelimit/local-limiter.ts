import { type BucketSpec, type Decision, gcraStep } from './gcra.js';

/** The same GCRA in process memory: the per-instance fallback while Redis is unavailable. */
export function createLocalLimiter(deps: { now: () => number; maxBuckets?: number }) {
  const tats = new Map<string, number>();
  const maxBuckets = deps.maxBuckets ?? 100_000;
  return {
    check(specs: BucketSpec[]): Decision {
      const now = deps.now();
      const { decision, newTats } = gcraStep(
        specs,
        specs.map((s) => tats.get(s.key)),
        now,
      );
      if (decision.allowed) {
        // Bounded memory: full buckets carry no information and can be forgotten.
        if (tats.size >= maxBuckets) {
          for (const [k, v] of tats) if (v <= now) tats.delete(k);
        }
        for (const [i, s] of specs.entries()) tats.set(s.key, newTats[i]!);
      }
      return decision;
    },
  };
}
