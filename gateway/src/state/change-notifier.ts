import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';

/**
 * Long-poll wake-ups: one Redis subscriber connection per gateway; a channel is subscribed
 * while at least one request waits on it. Whichever gateway projects an event publishes on
 * the channel, so a waiter on any instance wakes.
 */
export function createChangeNotifier(deps: { subscriber: Redis; logger: Logger }) {
  const waiters = new Map<string, Set<() => void>>();
  let closed = false;
  deps.subscriber.on('message', (channel: string) => {
    const set = waiters.get(channel);
    if (!set) return;
    for (const wake of set) wake();
  });

  async function release(channel: string, wake: () => void): Promise<void> {
    const set = waiters.get(channel);
    if (!set) return;
    set.delete(wake);
    if (set.size === 0) {
      waiters.delete(channel);
      await deps.subscriber.unsubscribe(channel).catch(() => undefined);
    }
  }

  return {
    /**
     * Subscribes before the caller re-reads the state, so a change between the read and the
     * wait is not lost. `changed` resolves on the next publish or when `signal` aborts.
     */
    async watch(
      channel: string,
      signal: AbortSignal,
    ): Promise<{ changed: Promise<void>; unavailable: boolean }> {
      // Draining: nobody waits any more; callers answer with what they have.
      if (closed) return { changed: Promise.resolve(), unavailable: true };
      let wake: () => void = () => undefined;
      const changed = new Promise<void>((resolve) => {
        wake = resolve;
      });
      let set = waiters.get(channel);
      const first = !set;
      if (!set) {
        set = new Set();
        waiters.set(channel, set);
      }
      set.add(wake);
      const cleanup = () => void release(channel, wake);
      changed.then(cleanup);
      signal.addEventListener('abort', () => wake(), { once: true });
      if (first) {
        try {
          await deps.subscriber.subscribe(channel);
        } catch (err) {
          // Without Redis there is nothing to wait on; the caller answers with what it has.
          deps.logger.warn({ err: (err as Error).message }, 'long-poll subscribe failed');
          wake();
          return { changed, unavailable: true };
        }
      }
      return { changed, unavailable: false };
    },
    async close(): Promise<void> {
      closed = true;
      for (const set of waiters.values()) for (const wake of set) wake();
      waiters.clear();
    },
  };
}

export type ChangeNotifier = ReturnType<typeof createChangeNotifier>;
