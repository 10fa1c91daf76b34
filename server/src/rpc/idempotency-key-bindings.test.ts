import { mongoDatabase } from '@stargate/testkit';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerBind, createIdempotencyKeyBindings } from './idempotency-key-bindings.js';

describe('idempotency key bindings (bind-idempotency-key)', () => {
  const { url, dbName } = mongoDatabase('keybind');
  let client: MongoClient;

  beforeAll(async () => {
    client = await MongoClient.connect(url);
  });
  afterAll(async () => {
    await client?.db(dbName).dropDatabase();
    await client?.close();
  });

  it('binds a key to the first id offered, also when attempts race, per tenant', async () => {
    const bindings = createIdempotencyKeyBindings(client.db(dbName));
    const offered = Array.from({ length: 10 }, (_, i) => `PROC-20260114-0000${i}`);
    const got = await Promise.all(offered.map((id) => bindings.bind('acme', 'k-1', id)));
    expect(new Set(got).size).toBe(1);
    expect(offered).toContain(got[0]);
    expect(await bindings.bind('acme', 'k-1', 'PROC-20260114-99999')).toBe(got[0]);
    expect(await bindings.bind('globex', 'k-1', 'PROC-20260114-99999')).toBe('PROC-20260114-99999');
    expect(
      await answerBind(bindings, { tenantId: 'acme', idempotencyKey: '', processId: 'x' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST' },
    });
  });
});
