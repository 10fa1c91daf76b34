import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mongoDatabase } from '@stargate/testkit';
import { quietLogger } from '../testing/gateway-double.js';
import { createRetentionJob } from './retention-job.js';

const DAY = 86_400_000;

describe('retention job', () => {
  const mongo = mongoDatabase('retention');
  let client: MongoClient;

  beforeAll(async () => {
    client = new MongoClient(mongo.url);
    await client.connect();
  });
  afterAll(async () => {
    await client?.db(mongo.dbName).dropDatabase();
    await client?.close();
  });

  // Issue #16 finding 4: each handler knows the retention only of the tenants of its own
  // types, so it must never delete records of another handler's types.
  it("deletes only its own process types: a 365-day tenant's orders survive the shipping handler", async () => {
    const db = client.db(mongo.dbName);
    const processes = db.collection('processes');
    const now = new Date('2030-06-01T00:00:00Z');
    const doc = (processId: string, tenantId: string, processType: string, daysAgo: number) => ({
      processId,
      tenantId,
      idemKey: `${tenantId}:${processId}`,
      processType,
      status: 'completed',
      version: 3,
      attempts: 1,
      completedAt: new Date(now.getTime() - daysAgo * DAY),
    });
    await processes.insertMany([
      doc('order-long-40d', 'long', 'order', 40),
      doc('ship-short-40d', 'short', 'shipping', 40),
      doc('ship-short-10d', 'short', 'shipping', 10),
    ]);
    // What the operator gives each handler: the retention of the tenants using its types.
    const shipping = createRetentionJob({
      db,
      processTypes: ['shipping'],
      retention: { defaultDays: 30, tenants: { short: 30 } },
      logger: quietLogger,
    });
    const order = createRetentionJob({
      db,
      processTypes: ['order'],
      retention: { defaultDays: 30, tenants: { long: 365 } },
      logger: quietLogger,
    });
    try {
      expect(await shipping.runOnce(now)).toBe(1);
      expect(await order.runOnce(now)).toBe(0);
    } finally {
      shipping.close();
      order.close();
    }
    const left = (await processes.find({}).toArray()).map((d) => d.processId).sort();
    expect(left).toEqual(['order-long-40d', 'ship-short-10d']);
  });
});
