import type { AuditRecordData } from '@stargate/contracts';
import { type Db, MongoBulkWriteError } from 'mongodb';
import { COLLECTIONS } from './process-store.js';

export interface AuditDoc extends Omit<AuditRecordData, 'time'> {
  time: Date;
  receivedAt: Date;
}

/** Append-only audit trail of gateway requests; a redelivered record is stored once (unique auditId). */
export interface AuditLog {
  ensureIndexes(): Promise<void>;
  /** Resolves once the record is stored (with the others that arrived meanwhile, in one insertMany). */
  append(record: AuditRecordData): Promise<void>;
}

/** Records that arrive within this window (or up to BATCH_MAX of them) are written together. */
export const BATCH_WINDOW_MS = 10;
export const BATCH_MAX = 500;

/** Whether an insertMany failed only on records that are already stored (redeliveries). */
function onlyDuplicates(err: unknown): boolean {
  if (!(err instanceof MongoBulkWriteError)) return false;
  const errors = [err.writeErrors].flat();
  return errors.length > 0 && errors.every((e) => e.code === 11000);
}

export function createAuditLog(db: Db, options: { windowMs?: number } = {}): AuditLog {
  const audit = db.collection<AuditDoc>(COLLECTIONS.audit);
  let batch: { docs: AuditDoc[]; done: Promise<void> } | undefined;

  function write(docs: AuditDoc[]): Promise<void> {
    // Unordered: one duplicate does not stop the others.
    return audit.insertMany(docs, { ordered: false }).then(
      () => undefined,
      (err: unknown) => {
        if (!onlyDuplicates(err)) throw err;
      },
    );
  }

  return {
    async ensureIndexes() {
      await audit.createIndex({ auditId: 1 }, { unique: true, name: 'auditId_unique' });
      await audit.createIndex({ tenantId: 1, time: -1 }, { name: 'tenant_time' });
    },
    append(record) {
      const doc = { ...record, time: new Date(record.time), receivedAt: new Date() };
      if (batch && batch.docs.length < BATCH_MAX) {
        batch.docs.push(doc);
        return batch.done;
      }
      const docs = [doc];
      const done = new Promise<void>((resolve, reject) => {
        setTimeout(() => {
          if (batch?.docs === docs) batch = undefined;
          write(docs).then(resolve, reject);
        }, options.windowMs ?? BATCH_WINDOW_MS);
      });
      batch = { docs, done };
      return done;
    },
  };
}
