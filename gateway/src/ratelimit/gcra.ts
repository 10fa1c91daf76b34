/**
 * GCRA (generic cell rate algorithm): each bucket stores a "theoretical arrival time". A
 * request is allowed while it would not push that time more than `burst` emission intervals
 * ahead of now. Unlike a fixed window it never allows a double burst at a window edge.
 */
export interface BucketSpec {
  key: string;
  /** Name used in the RateLimit headers, e.g. "tenant" or "tenant;type=order". */
  name: string;
  requestsPerMinute: number;
  burst: number;
}

export interface BucketResult {
  spec: BucketSpec;
  remaining: number;
  /** Until a denied request could pass (0 when allowed). */
  retryAfterMs: number;
  /** Until the bucket is full again. */
  resetMs: number;
}

export interface Decision {
  allowed: boolean;
  buckets: BucketResult[];
  /** The state read in the same Redis round trip, when one was asked for and Redis decided. */
  read?: string | null;
}

export function emissionIntervalMs(spec: Pick<BucketSpec, 'requestsPerMinute'>): number {
  return 60_000 / spec.requestsPerMinute;
}

/** One step of GCRA over several buckets: all must allow, and only then all are charged. */
export function gcraStep(
  specs: BucketSpec[],
  tats: (number | undefined)[],
  now: number,
): { decision: Decision; newTats: number[] } {
  let allowed = true;
  const newTats: number[] = [];
  const rows = specs.map((spec, i) => {
    const t = emissionIntervalMs(spec);
    const tat = Math.max(tats[i] ?? now, now);
    const newTat = tat + t;
    const limit = spec.burst * t;
    newTats.push(newTat);
    const ok = newTat - now <= limit;
    if (!ok) allowed = false;
    return { spec, t, tat, newTat, limit, ok };
  });
  const buckets = rows.map((r) => {
    const after = allowed ? r.newTat : r.tat;
    return {
      spec: r.spec,
      remaining: Math.max(0, Math.floor((r.limit - (after - now)) / r.t)),
      retryAfterMs: r.ok ? 0 : Math.ceil(r.newTat - now - r.limit),
      resetMs: Math.ceil(after - now),
    };
  });
  return { decision: { allowed, buckets }, newTats };
}
