import type { AuditRecordData } from '@stargate/contracts';
import { mongoDatabase } from '@stargate/testkit';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditLog, createAuditLog } from './audit-log.js';

const record = (i: number): AuditRecordData => ({
  auditId: `a-${i}`,
  time: new Date().toISOString(),
  tenantId: 'acme',
  clientId: 'acme-client',
  action: 'process.submit',
  method: 'POST',
  route: '/api/v1/processes',
  outcome: 'success',
  status: 202,
  correlationId: `corr-${i}`,
});

describe('audit log', () => {
  const { url, dbName } = mongoDatabase('audit');
  const client = new MongoClient(url, { monitorCommands: true });
  let inserts = 0;
  let log: AuditLog;
  beforeAll(async () => {
    client.on('commandStarted', (e) => {
      if (e.commandName === 'insert') inserts++;
    });
    await client.connect();
    log = createAuditLog(client.db(dbName));
    await log.ensureIndexes();
  });
  afterAll(async () => {
    await client.db(dbName).dropDatabase();
    await client.close();
  });

  it('stores records that arrive together with one insertMany, and a redelivered record once', async () => {
    inserts = 0;
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(record(i))));
    expect(inserts).toBeLessThanOrEqual(2);
    // Redeliveries mixed with new records: the new ones are stored, the old ones not twice.
    await Promise.all([0, 1, 200, 2, 201].map((i) => log.append(record(i))));
    const audit = client.db(dbName).collection('audit_log');
    expect(await audit.countDocuments({})).toBe(202);
    expect(await audit.countDocuments({ auditId: 'a-1' })).toBe(1);
  });
});
