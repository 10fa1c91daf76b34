/**
 * A work queue like client-go's rate-limited queue: a key is queued at most once, a key being
 * processed is not handed to a second worker (a change meanwhile queues it again afterwards),
 * and failures come back after a per-key exponential delay (5 ms doubling to 1000 s), never
 * faster than an overall token bucket allows (10 per second, burst 100).
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { unref?(): void };
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Overall limit: tokens per second and bucket size. */
  qps?: number;
  burst?: number;
  clock?: Clock;
}

export interface WorkQueue {
  add(key: string): void;
  addAfter(key: string, delayMs: number): void;
  /** Requeue after the larger of the key's backoff and the overall limit's delay. */
  addRateLimited(key: string): void;
  /** The key succeeded: reset its backoff. */
  forget(key: string): void;
  failures(key: string): number;
  /** Next key, or undefined once the queue is shut down and drained. */
  get(): Promise<string | undefined>;
  done(key: string): void;
  depth(): number;
  shutDown(): void;
}

export function createWorkQueue(options: WorkQueueOptions = {}): WorkQueue {
  const base = options.baseDelayMs ?? 5;
  const max = options.maxDelayMs ?? 1_000_000;
  const qps = options.qps ?? 10;
  const burst = options.burst ?? 100;
  const clock = options.clock ?? systemClock;
  const queue: string[] = [];
  const dirty = new Set<string>();
  const processing = new Set<string>();
  const failures = new Map<string, number>();
  const timers = new Map<string, { at: number; handle: unknown }>();
  const waiters: ((key: string | undefined) => void)[] = [];
  let shuttingDown = false;
  // Token bucket, accounted as "the next free slot" like golang.org/x/time/rate's reservations.
  let tokens = burst;
  let last = clock.now();

  function reserve(): number {
    const now = clock.now();
    tokens = Math.min(burst, tokens + ((now - last) / 1000) * qps);
    last = now;
    tokens -= 1;
    return tokens >= 0 ? 0 : (-tokens / qps) * 1000;
  }

  function add(key: string) {
    if (shuttingDown || dirty.has(key)) return;
    dirty.add(key);
    if (processing.has(key)) return;
    const w = waiters.shift();
    if (w) {
      dirty.delete(key);
      processing.add(key);
      w(key);
    } else {
      queue.push(key);
    }
  }

  function addAfter(key: string, delayMs: number) {
    if (shuttingDown) return;
    if (delayMs <= 0) return add(key);
    const at = clock.now() + delayMs;
    const existing = timers.get(key);
    // Keep the earlier of two pending delays, as client-go's delaying queue does.
    if (existing && existing.at <= at) return;
    if (existing) clock.clearTimeout(existing.handle);
    const handle = clock.setTimeout(() => {
      timers.delete(key);
      add(key);
    }, delayMs);
    handle.unref?.();
    timers.set(key, { at, handle });
  }

  return {
    add,
    addAfter,
    addRateLimited(key) {
      const n = failures.get(key) ?? 0;
      failures.set(key, n + 1);
      const backoff = Math.min(base * 2 ** n, max);
      addAfter(key, Math.max(backoff, reserve()));
    },
    forget: (key) => void failures.delete(key),
    failures: (key) => failures.get(key) ?? 0,
    get() {
      const key = queue.shift();
      if (key !== undefined) {
        dirty.delete(key);
        processing.add(key);
        return Promise.resolve(key);
      }
      if (shuttingDown) return Promise.resolve(undefined);
      return new Promise((resolve) => waiters.push(resolve));
    },
    done(key) {
      processing.delete(key);
      if (dirty.has(key)) {
        dirty.delete(key);
        add(key);
      }
    },
    depth: () => queue.length,
    shutDown() {
      shuttingDown = true;
      for (const t of timers.values()) clock.clearTimeout(t.handle);
      timers.clear();
      for (const w of waiters.splice(0)) w(undefined);
    },
  };
}
