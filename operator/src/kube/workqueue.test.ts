import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWorkQueue } from './workqueue.js';

describe('work queue', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('hands out a key once however often it is added', async () => {
    const q = createWorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.depth()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.depth()).toBe(0);
  });

  it('does not give a key to two workers; a change while processing queues it again afterwards', async () => {
    const q = createWorkQueue();
    q.add('a');
    const key = await q.get();
    q.add('a');
    expect(q.depth()).toBe(0);
    let second: string | undefined;
    void q.get().then((k) => {
      second = k;
    });
    await Promise.resolve();
    expect(second).toBeUndefined();
    q.done(key ?? '');
    await Promise.resolve();
    expect(second).toBe('a');
  });

  it('backs off per key: 5 ms, 10 ms, 20 ms, 40 ms; forget resets it', async () => {
    const q = createWorkQueue();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const start = Date.now();
      q.addRateLimited('k');
      let got = false;
      void q.get().then(() => {
        got = true;
      });
      while (!got) await vi.advanceTimersByTimeAsync(1);
      delays.push(Date.now() - start);
      q.done('k');
    }
    expect(delays).toEqual([5, 10, 20, 40]);
    q.forget('k');
    expect(q.failures('k')).toBe(0);
    q.addRateLimited('k');
    await vi.advanceTimersByTimeAsync(5);
    expect(q.depth()).toBe(1);
  });

  it('caps the backoff at 1000 s', async () => {
    const q = createWorkQueue();
    for (let i = 0; i < 40; i++) {
      q.addRateLimited('z');
      await vi.advanceTimersByTimeAsync(1_000_000);
      await q.get();
      q.done('z');
    }
    q.addRateLimited('z');
    await vi.advanceTimersByTimeAsync(999_999);
    expect(q.depth()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(q.depth()).toBe(1);
  });

  it('applies the overall rate limit across keys once the burst is spent', async () => {
    const q = createWorkQueue({ qps: 10, burst: 2 });
    q.addRateLimited('a');
    q.addRateLimited('b');
    q.addRateLimited('c');
    await vi.advanceTimersByTimeAsync(5);
    expect(q.depth()).toBe(2);
    await vi.advanceTimersByTimeAsync(95);
    expect(q.depth()).toBe(3);
  });

  it('returns undefined to waiting workers on shutdown', async () => {
    const q = createWorkQueue();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
  });
});
