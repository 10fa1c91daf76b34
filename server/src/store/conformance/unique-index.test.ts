/**
 * Conformance: unique indexes. The server finds a redelivered request by the duplicate-key
 * error (11000) of its insert, refuses a second process under one idempotency key through the
 * unique `idemKey` index, and stores a redelivered audit record once (unique `auditId`).
 * `idemKey` is set on every document (`tenant:key`, or `tenant:processId` without a key), so a
 * plain unique index is enough: the server needs neither `sparse` nor `partialFilterExpression`
 * (mongo-java-server enforces a partial index on every document; FerretDB rejects it).
 */
import { MongoBulkWriteError, MongoServerError } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, type StoreUnderTest, storeUnderTest } from '../../testing/store-under-test.js';

const code = (err: unknown) => (err instanceof MongoServerError ? err.code : err);

interface Doc {
  processId: string;
  idemKey: string;
  version: number;
}

describe('store conformance: unique indexes', () => {
  let store: StoreUnderTest;
  beforeAll(async () => {
    store = await storeUnderTest('conformance');
    const col = store.db.collection<Doc>('processes');
    await col.createIndex({ processId: 1 }, { unique: true, name: 'processId_unique' });
    await col.createIndex({ idemKey: 1 }, { unique: true, name: 'idemKey_unique' });
    await store.db.collection('audit').createIndex({ auditId: 1 }, { unique: true });
  });
  afterAll(() => store?.close());

  it('answers a duplicate insert with 11000 and leaves the first document as it was', async () => {
    const col = store.db.collection<Doc>('processes');
    await col.insertOne({ processId: 'a', idemKey: 't:k1', version: 1 });
    expect(code(await failure(col.insertOne({ processId: 'a', idemKey: 't:other', version: 9 })))).toBe(
      11000,
    );
    expect(code(await failure(col.insertOne({ processId: 'b', idemKey: 't:k1', version: 9 })))).toBe(11000);
    expect(await col.countDocuments({ $or: [{ processId: 'a' }, { idemKey: 't:k1' }] })).toBe(1);
    expect((await col.findOne({ processId: 'a' }))?.version).toBe(1);
  });

  it('answers an update that would create a duplicate with 11000 (updateOne and findOneAndUpdate)', async () => {
    const col = store.db.collection<Doc>('processes');
    await col.insertOne({ processId: 'c', idemKey: 't:c', version: 1 });
    await col.insertOne({ processId: 'd', idemKey: 't:d', version: 1 });
    expect(code(await failure(col.updateOne({ processId: 'd' }, { $set: { idemKey: 't:c' } })))).toBe(11000);
    expect(
      code(
        await failure(
          col.findOneAndUpdate({ processId: 'd' }, { $set: { idemKey: 't:c' } }, { returnDocument: 'after' }),
        ),
      ),
    ).toBe(11000);
    expect((await col.findOne({ processId: 'd' }))?.idemKey).toBe('t:d');
  });

  it('lets exactly one of 16 concurrent inserts of the same process through', async () => {
    const col = store.db.collection<Doc>('processes');
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        failure(col.insertOne({ processId: 'race', idemKey: `t:race-${i}`, version: 1 })),
      ),
    );
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    expect(results.filter((r) => code(r) === 11000)).toHaveLength(15);
    expect(await col.countDocuments({ processId: 'race' })).toBe(1);
  });

  it('stores the new records of an unordered insertMany with duplicates and names the duplicates 11000', async () => {
    const audit = store.db.collection<{ auditId: string }>('audit');
    await audit.insertOne({ auditId: 'seen' });
    const err = await failure(
      audit.insertMany([{ auditId: 'n1' }, { auditId: 'seen' }, { auditId: 'n2' }], { ordered: false }),
    );
    expect(err).toBeInstanceOf(MongoBulkWriteError);
    const codes = [(err as MongoBulkWriteError).writeErrors].flat().map((e) => e.code);
    expect(codes).toEqual([11000]);
    // Not relied upon: mongo-java-server 1.47 reports insertedCount 3 here (MongoDB: 2).
    expect((await audit.find({}).toArray()).map((d) => d.auditId).sort()).toEqual(['n1', 'n2', 'seen']);
  });
});
