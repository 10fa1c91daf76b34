import type { AuditRecordData } from '@stargate/contracts';
import { type Db, MongoBulkWriteError, ObjectId } from 'mongodb';
import { COLLECTIONS, isDuplicateKey } from './process-store.js';

export interface AuditDoc extends Omit<AuditRecordData, 'time' | 'lastTime'> {
  _id: ObjectId;
  time: Date;
  lastTime?: Date;
  receivedAt: Date;
}

/** Only duplicates of records already stored (a redelivered batch): nothing new was refused. */
function onlyDuplicates(err: unknown): boolean {
  if (err instanceof MongoBulkWriteError) {
    const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    return errors.length > 0 && errors.every((e) => e.code === 11000);
  }
  return isDuplicateKey(err);
}

/**
 * Append-only audit trail of gateway requests; a redelivered record is stored once (unique
 * auditId). Read it in the gateway's order by `time`, then `_id` (ids are made in the order given).
 */
export interface AuditLog {
  ensureIndexes(): Promise<void>;
  append(record: AuditRecordData): Promise<void>;
  /** One insertMany; records already stored (redelivery) are skipped, the others still stored. */
  appendMany(records: AuditRecordData[]): Promise<void>;
}

export function createAuditLog(db: Db): AuditLog {
  const audit = db.collection<AuditDoc>(COLLECTIONS.audit);
  const toDoc = (record: AuditRecordData, receivedAt: Date): AuditDoc => {
    const { time, lastTime, ...rest } = record;
    // Ids made here, one after the other: `_id` order within a worker is the order given.
    return {
      _id: new ObjectId(),
      ...rest,
      time: new Date(time),
      ...(lastTime ? { lastTime: new Date(lastTime) } : {}),
      receivedAt,
    };
  };
  let tail: Promise<void> = Promise.resolve();
  const log: AuditLog = {
    async ensureIndexes() {
      await audit.createIndex({ auditId: 1 }, { unique: true, name: 'auditId_unique' });
      await audit.createIndex({ tenantId: 1, time: -1 }, { name: 'tenant_time' });
    },
    async append(record) {
      await log.appendMany([record]);
    },
    appendMany(records) {
      // One batch at a time, in the order delivered: concurrent inserts would interleave.
      const run = tail.then(() => insert(records));
      tail = run.catch(() => undefined);
      return run;
    },
  };
  async function insert(records: AuditRecordData[]): Promise<void> {
    if (records.length === 0) return;
    const receivedAt = new Date();
    try {
      // Unordered: a duplicate (redelivery) must not stop the records after it.
      await audit.insertMany(
        records.map((r) => toDoc(r, receivedAt)),
        { ordered: false },
      );
    } catch (err) {
      if (!onlyDuplicates(err)) throw err;
    }
  }
  return log;
}
