/**
 * The development-store candidates side by side: the old per-process workload (1 insert,
 * 4 × version-guarded findOneAndUpdate + event insert) and the current one (insert with the
 * first history entry, one guarded findOneAndUpdate that $push-es the terminal entry), with
 * the server's indexes, `concurrency` processes at a time, on each MongoDB-wire URL given.
 *   node --experimental-transform-types --conditions=stargate-source \
 *     --import ./server/src/testing/register.mjs server/bench/store-candidates.ts N CONCURRENCY URL...
 */
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';

const n = Number(process.argv[2] ?? 300);
const concurrency = Number(process.argv[3] ?? 32);
const urls = process.argv.slice(4);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round((s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0) * 10) / 10;
};

async function pool(total: number, width: number, one: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < total) await one(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

for (const url of urls) {
  const client = new MongoClient(url, { maxPoolSize: concurrency + 4, serverSelectionTimeoutMS: 5000 });
  await client.connect();
  const db = client.db(`bench_store_${randomUUID().slice(0, 8)}`);
  const processes = db.collection('processes');
  const events = db.collection('process_events');
  await processes.createIndex({ processId: 1 }, { unique: true });
  await processes.createIndex({ idemKey: 1 }, { unique: true });
  await processes.createIndex({ tenantId: 1, createdAt: -1 });
  await events.createIndex({ eventKey: 1 }, { unique: true });
  const doc = (id: string) => ({
    processId: id,
    tenantId: 'acme',
    idemKey: `acme:${id}`,
    processType: 'order',
    status: 'processing',
    version: 1,
    data: { orderId: 'PO-1', items: [{ sku: 'S', quantity: 1, unitPrice: 2 }] },
    createdAt: new Date(),
    updatedAt: new Date(),
  });
  const fau: number[] = [];
  const timed = async <T>(run: () => Promise<T>) => {
    const t = performance.now();
    const r = await run();
    fau.push(performance.now() - t);
    return r;
  };
  const old = await pool(n, concurrency, async (i) => {
    const id = `old-${i}`;
    await processes.insertOne(doc(id));
    for (let v = 1; v <= 4; v++) {
      await timed(() =>
        processes.findOneAndUpdate(
          { processId: id, version: v },
          { $set: { version: v + 1, updatedAt: new Date() } },
          { returnDocument: 'after' },
        ),
      );
      await events.insertOne({ eventKey: `${id}:${v + 1}`, processId: id, version: v + 1, time: new Date() });
    }
  });
  const oldFau = [...fau];
  fau.length = 0;
  const now = await pool(n, concurrency, async (i) => {
    const id = `new-${i}`;
    await processes.insertOne({
      ...doc(id),
      history: [{ version: 1, status: 'processing', time: new Date() }],
    });
    await timed(() =>
      processes.findOneAndUpdate(
        { processId: id, version: 1 },
        {
          $set: { version: 2, status: 'completed', result: { ok: true }, updatedAt: new Date() },
          $push: { history: { version: 2, status: 'completed', time: new Date() } },
        },
        { returnDocument: 'after' },
      ),
    );
  });
  console.log(
    JSON.stringify({
      url,
      processes: n,
      concurrency,
      oldWorkload: {
        processesPerSecond: Math.round(n / old),
        findOneAndUpdateMs: { p50: pct(oldFau, 50), p99: pct(oldFau, 99) },
      },
      currentWorkload: {
        processesPerSecond: Math.round(n / now),
        findOneAndUpdateMs: { p50: pct(fau, 50), p99: pct(fau, 99) },
      },
    }),
  );
  await db.dropDatabase();
  await client.close();
}
