import { describe, expect, it } from 'vitest';
import { createProcessIdAllocator, ProcessIdsUnavailableError } from './process-id-allocator.js';

/** The block source the server provides, kept in memory: consecutive numbers per day. */
function blockSource() {
  const last = new Map<string, number>();
  const calls: { day: string; count: number }[] = [];
  let failing = false;
  return {
    calls,
    fail(on: boolean) {
      failing = on;
    },
    reserve: async (day: string, count: number) => {
      calls.push({ day, count });
      if (failing) throw new Error('server unreachable');
      const first = (last.get(day) ?? 0) + 1;
      last.set(day, first + count - 1);
      return [{ first, count }];
    },
  };
}

const at = (iso: string) => Date.parse(iso);

describe('process id allocator', () => {
  it('hands out PROC-YYYYMMDD-NNNNN ids from reserved blocks, refilling before a block runs out', async () => {
    const source = blockSource();
    const now = at('2026-01-14T12:48:00Z');
    const ids = createProcessIdAllocator({ reserve: source.reserve, now: () => now, blockSize: 10 });
    const got: string[] = [];
    for (let i = 0; i < 35; i++) got.push(await ids.next());
    expect(got[0]).toBe('PROC-20260114-00001');
    expect(new Set(got).size).toBe(35);
    expect(got.every((id) => /^PROC-20260114-\d{5}$/.test(id))).toBe(true);
    // Blocks, not single numbers, and growing while they are used up fast.
    expect(source.calls.length).toBeLessThanOrEqual(4);
    expect(source.calls.map((c) => c.count)).toEqual(
      [...source.calls.map((c) => c.count)].sort((a, b) => a - b),
    );
  });

  it('grows past five digits instead of wrapping', async () => {
    const source = blockSource();
    const ids = createProcessIdAllocator({
      reserve: async (day, count) => {
        await source.reserve(day, 99_998);
        return source.reserve(day, count);
      },
      now: () => at('2026-01-14T00:00:00Z'),
      blockSize: 3,
    });
    expect([await ids.next(), await ids.next(), await ids.next()]).toEqual([
      'PROC-20260114-99999',
      'PROC-20260114-100000',
      'PROC-20260114-100001',
    ]);
  });

  it("reserves tomorrow's first block before midnight and uses it from 00:00 UTC", async () => {
    const source = blockSource();
    let now = at('2026-01-14T23:58:00Z');
    const ids = createProcessIdAllocator({ reserve: source.reserve, now: () => now, blockSize: 10 });
    expect(await ids.next()).toBe('PROC-20260114-00001');
    await new Promise((r) => setTimeout(r, 10));
    expect(ids.available('20260115')).toBeGreaterThan(0);
    // No round trip needed at midnight: it works even with the server unreachable then.
    source.fail(true);
    now = at('2026-01-15T00:00:01Z');
    expect(await ids.next()).toBe('PROC-20260115-00001');
  });

  it('keeps serving from its reserve while the server is unreachable, and says so when it is used up', async () => {
    const source = blockSource();
    const ids = createProcessIdAllocator({
      reserve: source.reserve,
      now: () => at('2026-01-14T10:00:00Z'),
      blockSize: 4,
      waitMs: 300,
    });
    await ids.next();
    await new Promise((r) => setTimeout(r, 10));
    source.fail(true);
    const held = ids.available('20260114');
    for (let i = 0; i < held; i++) await ids.next();
    await expect(ids.next()).rejects.toBeInstanceOf(ProcessIdsUnavailableError);
    source.fail(false);
    expect(await ids.next()).toMatch(/^PROC-20260114-\d{5}$/);
  });
});
