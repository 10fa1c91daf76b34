/**
 * The store the conformance suite checks: the MongoDB-wire server at STARGATE_MONGO_URL (the
 * development store `tools/services.sh` starts, or any candidate the URL names), one fresh
 * database per test file. A pool large enough that concurrent operations really are concurrent.
 */
import { mongoDatabase } from '@stargate/testkit';
import { type Db, MongoClient } from 'mongodb';

export interface StoreUnderTest {
  db: Db;
  url: string;
  close(): Promise<void>;
}

export async function storeUnderTest(prefix: string): Promise<StoreUnderTest> {
  const { url, dbName } = mongoDatabase(prefix);
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000, maxPoolSize: 32 });
  await client.connect();
  const db = client.db(dbName);
  return {
    db,
    url,
    async close() {
      await db.dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
}

/** The error a rejected promise carries (or undefined when it resolved). */
export async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return err;
  }
}
