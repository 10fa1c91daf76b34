import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFieldCipher, type EncryptionKey, parseEncryptionKeys } from '../crypto/field-cipher.js';
import { createRetentionJob } from '../retention/retention-job.js';
import { type RunningServer, startServer } from '../server.js';
import { type GatewayDouble, gatewayDouble, quietLogger } from '../testing/gateway-double.js';

const key = (kid: string): EncryptionKey => ({ kid, key: randomBytes(32) });
const order = {
  orderId: 'PO-S',
  customerId: 'secret-customer',
  items: [{ sku: 'S', quantity: 1, unitPrice: 9 }],
};

describe('encryption at rest and retention', () => {
  let gw: GatewayDouble;
  const k1 = key('k1');
  const k2 = key('k2');

  beforeAll(async () => {
    gw = await gatewayDouble(['order']);
  });
  afterAll(() => gw?.close());

  const run = (keys: EncryptionKey[]): Promise<RunningServer> =>
    startServer({
      amqpUrl: gw.vhost.url,
      mongoUrl: gw.mongoUrl,
      dbName: gw.dbName,
      processTypes: ['order'],
      encryptionKeys: keys,
      logger: quietLogger,
    });

  it('stores data and result as AES-256-GCM with the key id, readable after key rotation', async () => {
    let server = await run([k1]);
    const id = await gw.submit('order', order);
    const doc = await gw.waitFor(id, 'completed');
    await server.close();
    expect(doc.data).toMatchObject({ alg: 'A256GCM', kid: 'k1' });
    expect(doc.result).toMatchObject({ alg: 'A256GCM', kid: 'k1' });
    expect(JSON.stringify(doc)).not.toContain('secret-customer');

    server = await run([k2, k1]);
    try {
      const reply = (await gw.rpc({ kind: 'get-process', tenantId: 'acme', processId: id })) as {
        process: { result: { confirmationNumber: string } };
      };
      expect(reply.process.result.confirmationNumber).toMatch(/^ORD-/);
      const id2 = await gw.submit('order', order);
      expect((await gw.waitFor(id2, 'completed')).data).toMatchObject({ kid: 'k2' });
    } finally {
      await server.close();
    }
  });

  it("refuses a result blob a store writer copied into another tenant's process instead of serving it", async () => {
    const server = await run([k1]);
    const client = new MongoClient(gw.mongoUrl);
    try {
      await client.connect();
      const processes = client.db(gw.dbName).collection('processes');
      const mine = await gw.submit('order', order);
      const theirs = await gw.submit('order', order, { tenantId: 'globex' });
      const source = await gw.waitFor(mine, 'completed');
      await gw.waitFor(theirs, 'completed');
      await processes.updateOne({ processId: theirs }, { $set: { result: source.result } });
      const reply = (await gw.rpc({ kind: 'get-process', tenantId: 'globex', processId: theirs })) as {
        ok: boolean;
        process?: unknown;
      };
      expect(reply.ok).toBe(false);
      expect(JSON.stringify(reply)).not.toContain('ORD-');
      // The owner still reads its own.
      const own = (await gw.rpc({ kind: 'get-process', tenantId: 'acme', processId: mine })) as {
        process: { result: { confirmationNumber: string } };
      };
      expect(own.process.result.confirmationNumber).toMatch(/^ORD-/);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('parses STARGATE_ENCRYPTION_KEYS and rejects a wrong key length naming the setting', () => {
    const b64 = k1.key.toString('base64');
    expect(parseEncryptionKeys(`a:${b64},b:${b64}`).map((k) => k.kid)).toEqual(['a', 'b']);
    expect(() => parseEncryptionKeys('a:c2hvcnQ=')).toThrow(/STARGATE_ENCRYPTION_KEYS.*32 bytes/);
    const at = { tenantId: 'acme', processId: 'p1', field: 'data' } as const;
    const sealed = createFieldCipher([k1]).seal({ x: 1 }, at);
    expect(() => createFieldCipher([k2]).open(sealed, at)).toThrow(/k1/);
  });

  it('removes finished processes and their events after the tenant retention period', async () => {
    const client = new MongoClient(gw.mongoUrl);
    await client.connect();
    try {
      const db = client.db(gw.dbName);
      const processes = db.collection('processes');
      const now = new Date('2030-01-10T00:00:00Z');
      const day = 86_400_000;
      const base = { status: 'completed', version: 3, processType: 'order', attempts: 1 };
      await processes.insertMany([
        {
          ...base,
          processId: 'old-acme',
          idemKey: 'acme:old',
          tenantId: 'acme',
          completedAt: new Date(now.getTime() - 5 * day),
        },
        {
          ...base,
          processId: 'new-acme',
          idemKey: 'acme:new',
          tenantId: 'acme',
          completedAt: new Date(now.getTime() - 1 * day),
        },
        {
          ...base,
          processId: 'old-kept',
          idemKey: 'keep:old',
          tenantId: 'keep',
          completedAt: new Date(now.getTime() - 5 * day),
        },
        { ...base, processId: 'running', idemKey: 'acme:run', tenantId: 'acme', status: 'processing' },
      ]);
      const job = createRetentionJob({
        db,
        processTypes: ['order'],
        retention: { defaultDays: 3, tenants: { keep: 30 } },
        logger: quietLogger,
      });
      try {
        expect(await job.runOnce(now)).toBeGreaterThanOrEqual(1);
      } finally {
        job.close();
      }
      const left = (
        await processes
          .find({ processId: { $in: ['old-acme', 'new-acme', 'old-kept', 'running'] } })
          .toArray()
      ).map((d) => d.processId);
      expect(left.sort()).toEqual(['new-acme', 'old-kept', 'running']);
    } finally {
      await client.close();
    }
  });
});
