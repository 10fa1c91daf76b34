/**
 * Conformance: the process list. `GET /processes` pages through a tenant's processes newest
 * first with `sort({createdAt: -1, processId: -1})` and a cursor that is the last item's
 * (createdAt, processId): the next page is `$or: [{createdAt < c}, {createdAt = c, processId < id}]`.
 * Many processes share a createdAt (same millisecond), so the tie-break must be exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StoreUnderTest, storeUnderTest } from '../../testing/store-under-test.js';

interface Doc {
  processId: string;
  tenantId: string;
  processType: string;
  status: string;
  createdAt: Date;
}

describe('store conformance: the sorted list query with its cursor', () => {
  let store: StoreUnderTest;
  const docs: Doc[] = [];
  beforeAll(async () => {
    store = await storeUnderTest('conformance');
    const col = store.db.collection<Doc>('processes');
    await col.createIndex({ processId: 1 }, { unique: true });
    await col.createIndex({ tenantId: 1, createdAt: -1 });
    const base = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 57; i++) {
      docs.push({
        processId: `p-${String((i * 37) % 100).padStart(3, '0')}`,
        tenantId: i % 5 === 0 ? 'other' : 'acme',
        processType: i % 3 === 0 ? '' : 'order',
        status: i % 2 === 0 ? 'completed' : 'processing',
        // Groups of four share a millisecond.
        createdAt: new Date(base + Math.floor(i / 4)),
      });
    }
    await col.insertMany(docs.map((d) => ({ ...d })));
  });
  afterAll(() => store?.close());

  async function pages(filter: Record<string, unknown>, limit: number): Promise<string[]> {
    const col = store.db.collection<Doc>('processes');
    const seen: string[] = [];
    let cursor: [Date, string] | undefined;
    for (let page = 0; page < 100; page++) {
      const q: Record<string, unknown> = { ...filter };
      if (cursor)
        q.$or = [{ createdAt: { $lt: cursor[0] } }, { createdAt: cursor[0], processId: { $lt: cursor[1] } }];
      const got = await col
        .find(q, { projection: { _id: 0 } })
        .sort({ createdAt: -1, processId: -1 })
        .limit(limit + 1)
        .toArray();
      const items = got.slice(0, limit);
      seen.push(...items.map((d) => d.processId));
      const last = items.at(-1);
      if (got.length <= limit || !last) return seen;
      cursor = [last.createdAt, last.processId];
    }
    throw new Error('no last page');
  }

  const expected = (keep: (d: Doc) => boolean) =>
    docs
      .filter(keep)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.processId < b.processId ? 1 : -1))
      .map((d) => d.processId);

  it('pages through every matching process exactly once, newest first, ties broken by processId', async () => {
    for (const limit of [1, 3, 4, 7, 50]) {
      expect(await pages({ tenantId: 'acme', processType: { $ne: '' } }, limit)).toEqual(
        expected((d) => d.tenantId === 'acme' && d.processType !== ''),
      );
    }
  });

  it('combines the cursor with a status filter', async () => {
    expect(await pages({ tenantId: 'acme', status: 'completed', processType: 'order' }, 2)).toEqual(
      expected((d) => d.tenantId === 'acme' && d.status === 'completed' && d.processType === 'order'),
    );
  });
});
