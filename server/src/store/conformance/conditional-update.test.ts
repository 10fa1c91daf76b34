/**
 * Conformance: the version guard. The server moves a process from one state to the next with
 * `findOneAndUpdate({processId, version: n}, {$set: {..., version: n + 1}, $push: {history}})`
 * and trusts that, among any number of concurrent writers, exactly one matches. That is what
 * makes "a terminal state is final" and "exactly one terminal event" true under redeliveries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StoreUnderTest, storeUnderTest } from '../../testing/store-under-test.js';

const ROUNDS = 30;
const RACERS = 16;

describe('store conformance: conditional update (version guard)', () => {
  let store: StoreUnderTest;
  beforeAll(async () => {
    store = await storeUnderTest('conformance');
    await store.db.collection('race').createIndex({ processId: 1 }, { unique: true });
  });
  afterAll(() => store?.close());

  it(`has exactly one winner among ${RACERS} concurrent version-guarded updates, in each of ${ROUNDS} rounds`, async () => {
    const col = store.db.collection<{
      processId: string;
      version: number;
      winner?: number;
      history: unknown[];
    }>('race');
    const winnersPerRound: number[] = [];
    const entriesPerRound: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const processId = `p-${round}`;
      await col.insertOne({ processId, version: 0, history: [] });
      const outcomes = await Promise.all(
        Array.from({ length: RACERS }, (_, racer) =>
          col.findOneAndUpdate(
            { processId, version: 0 },
            { $set: { version: 1, winner: racer }, $push: { history: { racer, version: 1 } } },
            { returnDocument: 'after' },
          ),
        ),
      );
      const winners = outcomes.filter((d) => d !== null);
      winnersPerRound.push(winners.length);
      const stored = await col.findOne({ processId });
      // The one winner's write is the stored one, and only its history entry was appended.
      entriesPerRound.push(stored?.history.length ?? 0);
      if (winners.length === 1) expect(stored?.winner).toBe(winners[0]?.winner);
    }
    expect({ winnersPerRound, entriesPerRound }).toEqual({
      winnersPerRound: Array(ROUNDS).fill(1),
      entriesPerRound: Array(ROUNDS).fill(1),
    });
  });

  it('returns the document as it is after the update (returnDocument: after), and null when the guard fails', async () => {
    const col = store.db.collection<{ processId: string; version: number; status: string }>('race');
    await col.insertOne({ processId: 'after', version: 3, status: 'processing' });
    const next = await col.findOneAndUpdate(
      { processId: 'after', version: 3 },
      { $set: { version: 4, status: 'completed' }, $unset: { missing: '' } },
      { returnDocument: 'after' },
    );
    expect(next).toMatchObject({ processId: 'after', version: 4, status: 'completed' });
    const stale = await col.findOneAndUpdate(
      { processId: 'after', version: 3 },
      { $set: { version: 4, status: 'cancelled' } },
      { returnDocument: 'after' },
    );
    expect(stale).toBeNull();
    expect(await col.findOne({ processId: 'after' })).toMatchObject({ version: 4, status: 'completed' });
  });

  it('never loses an $inc among concurrent increments', async () => {
    const col = store.db.collection<{ processId: string; n: number }>('race');
    await col.insertOne({ processId: 'counter', n: 0 });
    const perRacer = 20;
    await Promise.all(
      Array.from({ length: RACERS }, async () => {
        for (let i = 0; i < perRacer; i++) await col.updateOne({ processId: 'counter' }, { $inc: { n: 1 } });
      }),
    );
    expect((await col.findOne({ processId: 'counter' }))?.n).toBe(RACERS * perRacer);
  });

  it('keeps a flag set without a version change (cancelRequested) when a guarded update follows', async () => {
    const col = store.db.collection<{ processId: string; version: number; cancelRequested?: boolean }>(
      'race',
    );
    await col.insertOne({ processId: 'flag', version: 1 });
    await col.updateOne({ processId: 'flag' }, { $set: { cancelRequested: true } });
    const next = await col.findOneAndUpdate(
      { processId: 'flag', version: 1 },
      { $set: { version: 2 } },
      { returnDocument: 'after' },
    );
    expect(next).toMatchObject({ version: 2, cancelRequested: true });
  });

  it('guards an update on a nested field (the lease owner): matchedCount says whether the owner still held it', async () => {
    const col = store.db.collection<{ processId: string; lease?: { owner: string; expiresAt: Date } }>(
      'race',
    );
    const at = new Date('2026-01-01T00:00:00Z');
    await col.insertOne({ processId: 'lease', lease: { owner: 'w1', expiresAt: at } });
    const later = new Date(at.getTime() + 30_000);
    const renewed = await col.updateOne(
      { processId: 'lease', 'lease.owner': 'w1' },
      { $set: { 'lease.expiresAt': later } },
    );
    const foreign = await col.updateOne(
      { processId: 'lease', 'lease.owner': 'w2' },
      { $set: { 'lease.expiresAt': at } },
    );
    expect([renewed.matchedCount, foreign.matchedCount]).toEqual([1, 0]);
    expect((await col.findOne({ processId: 'lease' }))?.lease).toEqual({ owner: 'w1', expiresAt: later });
    const notOwner = await col.updateOne(
      { processId: 'lease', 'lease.owner': 'w2' },
      { $unset: { lease: '' } },
    );
    const owner = await col.updateOne({ processId: 'lease', 'lease.owner': 'w1' }, { $unset: { lease: '' } });
    expect([notOwner.matchedCount, owner.matchedCount]).toEqual([0, 1]);
    expect((await col.findOne({ processId: 'lease' }))?.lease).toBeUndefined();
    const gone = await col.updateOne(
      { processId: 'lease', 'lease.owner': 'w1' },
      { $set: { 'lease.expiresAt': later } },
    );
    expect(gone.matchedCount).toBe(0);
  });
});
