import type {
  ProcessError,
  ProcessPage,
  ProcessProgress,
  ProcessStatus,
  ProcessView,
} from '@stargate/contracts';
import { type Collection, type Db, type Filter, MongoError, MongoServerError } from 'mongodb';
import type { FieldCipher } from '../crypto/field-cipher.js';
import { dbSpan } from '../observability/tracing.js';

/**
 * The record of truth. Uses only what MongoDB and FerretDB v1 both support: single-field
 * unique indexes, plain CRUD, findOneAndUpdate with a version filter (optimistic
 * concurrency), sorts and limits. No transactions, change streams, partial or TTL indexes.
 */
export interface ProcessDoc {
  processId: string;
  tenantId: string;
  /** Always set (tenantId:idempotencyKey, or tenantId:processId) so one plain unique index works everywhere. */
  idemKey: string;
  idempotencyKey?: string;
  clientId: string;
  clientProcessId?: string;
  processType: string;
  status: ProcessStatus;
  version: number;
  payloadHash: string;
  /** Possibly encrypted (see FieldCipher). */
  data: unknown;
  result?: unknown;
  error?: ProcessError;
  progress?: ProcessProgress;
  /** The attempt that ran or runs last. */
  attempts: number;
  /** Set while a retry is scheduled: requests of older attempts are stale duplicates. */
  nextAttempt?: number;
  cancelRequested?: boolean;
  correlationId?: string;
  submittedAt: string;
  createdAt: Date;
  updatedAt: Date;
  completedAt?: Date;
}

export interface ProcessEventDoc {
  /** processId:version — unique, so a replayed write never duplicates an event. */
  eventKey: string;
  processId: string;
  tenantId: string;
  processType: string;
  version: number;
  status: ProcessStatus;
  time: Date;
  actor: string;
  correlationId?: string;
  note?: string;
  progress?: ProcessProgress;
  error?: ProcessError;
}

export const COLLECTIONS = { processes: 'processes', events: 'process_events', audit: 'audit_log' } as const;

export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

/** Whether MongoDB is unreachable (as opposed to refusing an operation): worth pausing for. */
export function isStoreUnavailable(err: unknown): boolean {
  return err instanceof MongoError && !(err instanceof MongoServerError);
}

export type InsertOutcome =
  | { kind: 'inserted'; doc: ProcessDoc }
  | { kind: 'exists'; doc: ProcessDoc }
  | { kind: 'idempotency-conflict'; existing: ProcessDoc | null };

export interface ListQuery {
  tenantId: string;
  status?: ProcessStatus;
  processType?: string;
  limit: number;
  cursor?: string;
}

export interface ProcessStore {
  ensureIndexes(): Promise<void>;
  insert(doc: ProcessDoc): Promise<InsertOutcome>;
  get(processId: string): Promise<ProcessDoc | null>;
  getForTenant(tenantId: string, processId: string): Promise<ProcessDoc | null>;
  /** Applies `set` only if the stored version is still `expectedVersion`; returns the new doc or null. */
  update(
    processId: string,
    expectedVersion: number,
    set: Partial<ProcessDoc>,
    unset?: readonly (keyof ProcessDoc)[],
  ): Promise<ProcessDoc | null>;
  appendEvent(event: Omit<ProcessEventDoc, 'eventKey'>): Promise<void>;
  events(processId: string): Promise<ProcessEventDoc[]>;
  list(query: ListQuery): Promise<ProcessPage>;
  toView(doc: ProcessDoc): ProcessView;
  /** Decrypted request data. */
  data(doc: ProcessDoc): unknown;
  seal(value: unknown): unknown;
  ping(): Promise<void>;
  processes: Collection<ProcessDoc>;
}

function encodeCursor(doc: ProcessDoc): string {
  return Buffer.from(JSON.stringify([doc.createdAt.toISOString(), doc.processId])).toString('base64url');
}

function decodeCursor(cursor: string): [Date, string] | undefined {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof at !== 'string' || typeof id !== 'string') return undefined;
    const d = new Date(at);
    return Number.isNaN(d.getTime()) ? undefined : [d, id];
  } catch {
    return undefined;
  }
}

export class InvalidCursorError extends Error {
  constructor() {
    super('invalid cursor');
    this.name = 'InvalidCursorError';
  }
}

export function createProcessStore(db: Db, cipher: FieldCipher): ProcessStore {
  const processes = db.collection<ProcessDoc>(COLLECTIONS.processes);
  const events = db.collection<ProcessEventDoc>(COLLECTIONS.events);
  const traced = <T>(collection: string, operation: string, run: () => Promise<T>) =>
    dbSpan(db.databaseName, collection, operation, run);

  const toView = (doc: ProcessDoc): ProcessView => ({
    processId: doc.processId,
    ...(doc.clientProcessId !== undefined ? { clientProcessId: doc.clientProcessId } : {}),
    processType: doc.processType,
    status: doc.status,
    version: doc.version,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
    ...(doc.progress ? { progress: doc.progress } : {}),
    ...(doc.result !== undefined ? { result: cipher.open(doc.result) } : {}),
    ...(doc.error ? { error: doc.error } : {}),
    attempts: doc.attempts,
    ...(doc.completedAt ? { completedAt: doc.completedAt.toISOString() } : {}),
  });

  const store: ProcessStore = {
    processes,
    async ensureIndexes() {
      await processes.createIndex({ processId: 1 }, { unique: true, name: 'processId_unique' });
      await processes.createIndex({ idemKey: 1 }, { unique: true, name: 'idemKey_unique' });
      await processes.createIndex({ tenantId: 1, createdAt: -1 }, { name: 'tenant_created' });
      await processes.createIndex({ completedAt: 1 }, { name: 'completed' });
      await events.createIndex({ eventKey: 1 }, { unique: true, name: 'eventKey_unique' });
      await events.createIndex({ processId: 1, version: 1 }, { name: 'process_version' });
    },
    insert(doc) {
      return traced(COLLECTIONS.processes, 'insert', async (): Promise<InsertOutcome> => {
        try {
          await processes.insertOne({ ...doc });
          return { kind: 'inserted', doc };
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          const existing = await processes.findOne({ processId: doc.processId }, { projection: { _id: 0 } });
          if (existing) return { kind: 'exists', doc: existing };
          return {
            kind: 'idempotency-conflict',
            existing: await processes.findOne({ idemKey: doc.idemKey }, { projection: { _id: 0 } }),
          };
        }
      });
    },
    get(processId) {
      return traced(COLLECTIONS.processes, 'find', () =>
        processes.findOne({ processId }, { projection: { _id: 0 } }),
      );
    },
    getForTenant(tenantId, processId) {
      return traced(COLLECTIONS.processes, 'find', () =>
        processes.findOne({ processId, tenantId }, { projection: { _id: 0 } }),
      );
    },
    update(processId, expectedVersion, set, unset = []) {
      return traced(COLLECTIONS.processes, 'findAndModify', () =>
        update(processId, expectedVersion, set, unset),
      );
    },
    appendEvent(event) {
      return traced(COLLECTIONS.events, 'insert', () => appendEvent(event));
    },
    events(processId) {
      return traced(COLLECTIONS.events, 'find', () =>
        events
          .find({ processId }, { projection: { _id: 0 } })
          .sort({ version: 1 })
          .toArray(),
      );
    },
    list(query) {
      return traced(COLLECTIONS.processes, 'find', () => list(query));
    },
    toView,
    data(doc) {
      return cipher.open(doc.data);
    },
    seal(value) {
      return cipher.seal(value);
    },
    async ping() {
      await db.command({ ping: 1 });
    },
  };

  async function update(
    processId: string,
    expectedVersion: number,
    set: Partial<ProcessDoc>,
    unset: readonly (keyof ProcessDoc)[],
  ): Promise<ProcessDoc | null> {
    const change: Record<string, unknown> = {
      $set: { ...set, version: expectedVersion + 1, updatedAt: new Date() },
    };
    if (unset.length > 0) change.$unset = Object.fromEntries(unset.map((k) => [k, '']));
    // No projection here: FerretDB v1 does not implement findAndModify's `fields`.
    const doc = await processes.findOneAndUpdate({ processId, version: expectedVersion }, change, {
      returnDocument: 'after',
    });
    if (!doc) return null;
    const { _id, ...rest } = doc as ProcessDoc & { _id?: unknown };
    return rest;
  }

  async function appendEvent(event: Omit<ProcessEventDoc, 'eventKey'>): Promise<void> {
    try {
      await events.insertOne({ ...event, eventKey: `${event.processId}:${event.version}` });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async function list(query: ListQuery): Promise<ProcessPage> {
    const filter: Filter<ProcessDoc> = { tenantId: query.tenantId };
    if (query.status) filter.status = query.status;
    // Placeholders of early cancels (processType '') are not processes yet.
    filter.processType = query.processType ? query.processType : { $ne: '' };
    if (query.cursor !== undefined) {
      const c = decodeCursor(query.cursor);
      if (!c) throw new InvalidCursorError();
      filter.$or = [{ createdAt: { $lt: c[0] } }, { createdAt: c[0], processId: { $lt: c[1] } }];
    }
    const docs = await processes
      .find(filter, { projection: { _id: 0 } })
      .sort({ createdAt: -1, processId: -1 })
      .limit(query.limit + 1)
      .toArray();
    const page = docs.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map(toView),
      ...(docs.length > query.limit && last ? { nextCursor: encodeCursor(last) } : {}),
    };
  }

  return store;
}
