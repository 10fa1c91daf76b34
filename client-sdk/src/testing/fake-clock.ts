import type { Clock } from '../clock.js';

interface Sleeper {
  at: number;
  resolve(): void;
}

/**
 * A virtual clock for tests: `sleep` parks the caller until the test moves time forward. Real
 * I/O still happens in between, so helpers wait (in real time) for the code to park again.
 */
export function createFakeClock(start = 0) {
  let now = start;
  let sleepers: Sleeper[] = [];

  async function realPause(): Promise<void> {
    await new Promise((r) => setTimeout(r, 2));
  }

  const clock = {
    now: () => now,
    sleep(ms: number, signal?: AbortSignal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const s: Sleeper = {
          at: now + ms,
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          sleepers = sleepers.filter((x) => x !== s);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        sleepers.push(s);
      });
    },
    get pending(): number {
      return sleepers.length;
    },
    /** Moves time forward, waking every sleeper due by then (earliest first). */
    advance(ms: number): void {
      now += ms;
      const due = sleepers.filter((s) => s.at <= now).sort((a, b) => a.at - b.at);
      sleepers = sleepers.filter((s) => s.at > now);
      for (const s of due) s.resolve();
    },
    /** Waits (real time, bounded) until at least `count` callers are parked in `sleep`. */
    async untilSleeping(count = 1, timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (sleepers.length < count) {
        if (Date.now() > deadline) throw new Error(`no code parked in clock.sleep within ${timeoutMs} ms`);
        await realPause();
      }
    },
    /**
     * Until `done()` holds: whenever code is parked in `sleep`, jumps to the earliest wake-up;
     * otherwise lets real I/O progress. Bounded in virtual and in real time.
     */
    async runUntil(
      done: () => boolean,
      untilMs = Number.POSITIVE_INFINITY,
      realTimeoutMs = 10_000,
    ): Promise<void> {
      const deadline = Date.now() + realTimeoutMs;
      while (!done()) {
        if (now > untilMs) throw new Error(`condition not met by virtual time ${untilMs}`);
        if (Date.now() > deadline)
          throw new Error(`condition not met within ${realTimeoutMs} ms (real time)`);
        if (sleepers.length > 0) {
          const next = Math.min(...sleepers.map((s) => s.at));
          clock.advance(Math.max(0, next - now));
        }
        await realPause();
      }
    },
  } satisfies Clock & Record<string, unknown>;
  return clock;
}

export type FakeClock = ReturnType<typeof createFakeClock>;
