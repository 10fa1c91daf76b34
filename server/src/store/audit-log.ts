import type { AuditRecordData } from '@stargate/contracts';
import type { Db } from 'mongodb';
import { COLLECTIONS, isDuplicateKey } from './process-store.js';

export interface AuditDoc extends Omit<AuditRecordData, 'time'> {
  time: Date;
  receivedAt: Date;
}

/** Append-only audit trail of gateway requests; a redelivered record is stored once (unique auditId). */
export interface AuditLog {
  ensureIndexes(): Promise<void>;
  append(record: AuditRecordData): Promise<void>;
}

export function createAuditLog(db: Db): AuditLog {
  const audit = db.collection<AuditDoc>(COLLECTIONS.audit);
  return {
    async ensureIndexes() {
      await audit.createIndex({ auditId: 1 }, { unique: true, name: 'auditId_unique' });
      await audit.createIndex({ tenantId: 1, time: -1 }, { name: 'tenant_time' });
    },
    async append(record) {
      try {
        await audit.insertOne({ ...record, time: new Date(record.time), receivedAt: new Date() });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    },
  };
}
