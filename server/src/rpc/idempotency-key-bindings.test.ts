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
    const got = await Promise.all(
      offered.map(async (id) => (await bindings.bind('acme', 'k-1', id)).processId),
    );
    expect(new Set(got).size).toBe(1);
    expect(offered).toContain(got[0]);
    expect((await bindings.bind('acme', 'k-1', 'PROC-20260114-99999')).processId).toBe(got[0]);
    expect((await bindings.bind('globex', 'k-1', 'PROC-20260114-99999')).processId).toBe(
      'PROC-20260114-99999',
    );
    expect(
      await answerBind(bindings, { tenantId: 'acme', idempotencyKey: '', processId: 'x' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST' },
    });
  });

  // Issue 16, finding 8: a key whose Redis record expired or was lost stays bound to its payload.
  it('binds the key to its payload: the recorded process or binding answers, another payload is refused', async () => {
    const db = client.db(dbName);
    const bindings = createIdempotencyKeyBindings(db);
    await db.collection('processes').insertOne({
      processId: 'PROC-20260114-00001',
      tenantId: 'acme',
      idemKey: 'acme:k-rec',
      payloadHash: 'hash-a',
    });
    const lookup = (key: string, payloadHash: string, processId = 'PROC-20260114-00500') =>
      answerBind(bindings, {
        tenantId: 'acme',
        idempotencyKey: key,
        processId,
        payloadHash,
        lookupOnly: true,
      });
    expect(await lookup('k-rec', 'hash-a')).toMatchObject({
      ok: true,
      processId: 'PROC-20260114-00001',
      recorded: true,
    });
    expect(await lookup('k-rec', 'hash-b')).toMatchObject({
      ok: false,
      error: { code: 'IDEMPOTENCY_KEY_REUSED' },
    });
    // A key nobody knows: the offered id, and nothing is bound by a lookup.
    expect(await lookup('k-new', 'hash-b')).toMatchObject({
      ok: true,
      processId: 'PROC-20260114-00500',
      recorded: false,
    });
    expect(await lookup('k-new', 'hash-c', 'PROC-20260114-00501')).toMatchObject({
      processId: 'PROC-20260114-00501',
    });
    // A binding made without Redis carries its payload hash too.
    expect(await bindings.bind('acme', 'k-down', 'PROC-20260114-00600', { payloadHash: 'hash-a' })).toEqual({
      processId: 'PROC-20260114-00600',
      recorded: false,
    });
    expect(await lookup('k-down', 'hash-a')).toMatchObject({ processId: 'PROC-20260114-00600' });
    await expect(
      bindings.bind('acme', 'k-down', 'PROC-20260114-00601', { payloadHash: 'hash-b' }),
    ).rejects.toThrow(/different payload/);
  });
});
