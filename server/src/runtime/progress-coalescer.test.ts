import type { ProcessProgress } from '@stargate/contracts';
import { describe, expect, it } from 'vitest';
import { createProgressCoalescer } from './progress-coalescer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const p = (percent: number): ProcessProgress => ({ percent, currentStep: `at ${percent}` });

describe('progress coalescing', () => {
  it('writes nothing for a handler that finishes within the interval, and hands the last report to the final write', async () => {
    const written: number[] = [];
    const c = createProgressCoalescer({ intervalMs: 250, write: async (x) => void written.push(x.percent) });
    c.report(p(10));
    c.report(p(40));
    c.report(p(80));
    expect(await c.close()).toEqual(p(80));
    expect(written).toEqual([]);
  });

  it('writes at most once per interval, always the latest report, and the last one at the end', async () => {
    const writes: { percent: number; at: number }[] = [];
    const start = Date.now();
    const c = createProgressCoalescer({
      intervalMs: 100,
      write: async (x) => {
        writes.push({ percent: x.percent, at: Date.now() - start });
        await sleep(5);
      },
    });
    for (let i = 1; i <= 50; i++) {
      c.report(p(i));
      await sleep(10);
    }
    const elapsed = Date.now() - start;
    const rest = await c.close();
    // Timers run late on a busy machine: the bound is what the elapsed time allows.
    expect(writes.length).toBeGreaterThanOrEqual(2);
    expect(writes.length).toBeLessThanOrEqual(Math.floor(elapsed / 100) + 1);
    for (let i = 1; i < writes.length; i++)
      expect((writes[i]?.at ?? 0) - (writes[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(95);
    // Every write is the newest report at its time; what is left is the very last one.
    expect(writes.map((w) => w.percent)).toEqual([...writes.map((w) => w.percent)].sort((a, b) => a - b));
    expect(rest?.percent ?? writes.at(-1)?.percent).toBe(50);
  });

  it('throws the error of a failed write at close, so the delivery is retried', async () => {
    const c = createProgressCoalescer({
      intervalMs: 10,
      write: async () => {
        throw new Error('store down');
      },
    });
    c.report(p(1));
    await sleep(40);
    await expect(c.close()).rejects.toThrow('store down');
  });
});
