import { mongoDatabase } from '@stargate/testkit';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerReserve, createProcessIdBlocks, SLOT_SIZE } from './process-id-blocks.js';

const numbers = (ranges: { first: number; count: number }[]) =>
  ranges.flatMap((r) => Array.from({ length: r.count }, (_, i) => r.first + i));

describe('process id blocks (reserve-process-ids)', () => {
  const { url, dbName } = mongoDatabase('idblocks');
  let client: MongoClient;

  beforeAll(async () => {
    client = await MongoClient.connect(url);
  });
  afterAll(async () => {
    await client?.db(dbName).dropDatabase();
    await client?.close();
  });

  it('never hands out a number twice, also to concurrent callers, and counts per day', async () => {
    const blocks = createProcessIdBlocks(client.db(dbName));
    const other = createProcessIdBlocks(client.db(dbName));
    const got = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? blocks : other).reserve('20260114', 5)),
    );
    const all = got.flatMap(numbers);
    expect(all).toHaveLength(20 * SLOT_SIZE);
    expect(new Set(all).size).toBe(all.length);
    expect(Math.min(...all)).toBe(1);
    // Another day starts at 1; a larger count gets whole slots, contiguous when nobody interleaves.
    expect(await blocks.reserve('20260115', 2 * SLOT_SIZE + 1)).toEqual([{ first: 1, count: 3 * SLOT_SIZE }]);
    expect(numbers(await other.reserve('20260114', 1))[0]).toBe(20 * SLOT_SIZE + 1);
  });

  it('refuses a malformed query with INVALID_REQUEST', async () => {
    const blocks = createProcessIdBlocks(client.db(dbName));
    for (const bad of [
      { day: '2026-01-14', count: 5 },
      { day: '20261399', count: 5 },
      { day: '20260114', count: 0 },
      { day: '20260114', count: 1.5 },
      { day: '20260114', count: 1_000_000 },
    ]) {
      expect(await answerReserve(blocks, bad)).toMatchObject({
        ok: false,
        error: { code: 'INVALID_REQUEST' },
      });
    }
  });
});
