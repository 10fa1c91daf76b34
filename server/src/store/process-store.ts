import type {
  ProcessError,
  ProcessPage,
  ProcessProgress,
  ProcessStatus,
  ProcessView,
} from '@stargate/contracts';
import { type Collection, type Db, type Filter, MongoError, MongoServerError } from 'mongodb';
import type { FieldBinding, FieldCipher } from '../crypto/field-cipher.js';
import { dbSpan } from '../observability/tracing.js';

/**
 * The record of truth, one document per process that carries its own event history: a state
 * change and its event are one version-guarded `findOneAndUpdate` (`$set` + `$push`), so they
 * are written together or not at all, in one round trip. Relies only on what the store
 * conformance suite (`./conformance/`) proves of the development store: exactly one winner
 * among concurrent version-guarded updates, 11000 on unique violations (insert and update),
 * plain unique indexes, the sorted list query with its cursor. No transactions, change
 * streams, partial or TTL indexes.
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
  /**
   * The worker running the handler, until when (renewed while it runs, released when the run
   * ends). A delivery finding a live lease of another worker does not run the handler.
   */
  lease?: ProcessLease;
  /** Runs that ended without an outcome and without releasing their lease (the worker died or stalled). */
  failedRuns?: number;
  /**
   * Runs that ended without an outcome and released their lease (aborted on a lost channel or
   * lease, a shutdown, a store failure), appended by the release: with `history`'s `started`
   * entries it shows that a handler ran again only after its earlier run had stopped.
   */
  releasedRuns?: ReleasedRun[];
  correlationId?: string;
  submittedAt: string;
  createdAt: Date;
  updatedAt: Date;
  completedAt?: Date;
  /**
   * Append-only: one entry per version, written by the same update as the state it records
   * (absent on a cancel placeholder, which is no process yet).
   */
  history?: HistoryEntry[];
}

/** A run handed back without an outcome: which run (lease owner), by whom, why and when. */
export interface ReleasedRun {
  owner: string;
  actor: string;
  reason: string;
  at: Date;
}

/** Who runs a process's handler now, and until when unless renewed. */
export interface ProcessLease {
  owner: string;
  expiresAt: Date;
}

/** One recorded state change: the version it created, who wrote it and why. */
export interface HistoryEntry {
  version: number;
  status: ProcessStatus;
  time: Date;
  actor: string;
  correlationId?: string;
  note?: string;
  progress?: ProcessProgress;
  error?: ProcessError;
}

/** A history entry with the process it belongs to (what `events()` returns). */
export interface ProcessEventDoc extends HistoryEntry {
  processId: string;
  tenantId: string;
  processType: string;
}

/** Who records a state change, and the note the history keeps with it. */
export interface EventInfo {
  actor: string;
  correlationId?: string;
  note?: string;
}

/** The changes the runtime makes: always to a status, and always recorded in the history. */
export type StateChange = Partial<ProcessDoc> & { status: ProcessStatus };

export const COLLECTIONS = { processes: 'processes', audit: 'audit_log' } as const;

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
  /** Inserts `doc`; with `event`, its history starts with the entry of its first version. */
  insert(doc: Omit<ProcessDoc, 'history'>, event?: EventInfo): Promise<InsertOutcome>;
  get(processId: string): Promise<ProcessDoc | null>;
  getForTenant(tenantId: string, processId: string): Promise<ProcessDoc | null>;
  /**
   * Applies `set` and appends its history entry, only if the stored version is still
   * `expectedVersion` (one round trip); returns the new doc, or null when another writer won.
   */
  update(
    processId: string,
    expectedVersion: number,
    set: StateChange,
    event: EventInfo,
    unset?: readonly (keyof ProcessDoc)[],
  ): Promise<ProcessDoc | null>;
  /** Sets flags that are no state change (no new version, no history entry). */
  mark(
    processId: string,
    set: Partial<ProcessDoc>,
    unset?: readonly (keyof ProcessDoc)[],
    version?: number,
  ): Promise<void>;
  /** Extends `owner`'s lease; false when `owner` holds it no more (released, or taken over after it expired). */
  renewLease(processId: string, owner: string, expiresAt: Date): Promise<boolean>;
  /** Drops `owner`'s lease (no-op when another holds it). */
  /** Drops `owner`'s lease and appends the run to `releasedRuns` (with `released`), if it still holds it. */
  releaseLease(processId: string, owner: string, released?: Omit<ReleasedRun, 'owner' | 'at'>): Promise<void>;
  events(processId: string): Promise<ProcessEventDoc[]>;
  list(query: ListQuery): Promise<ProcessPage>;
  toView(doc: ProcessDoc): ProcessView;
  /** Decrypted request data. */
  data(doc: ProcessDoc): unknown;
  /** Encrypts `data` or `result` (when keys are set), bound to the process and tenant it belongs to. */
  seal(
    value: unknown,
    owner: Pick<ProcessDoc, 'tenantId' | 'processId'>,
    field: FieldBinding['field'],
  ): unknown;
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

const binding = (
  owner: Pick<ProcessDoc, 'tenantId' | 'processId'>,
  field: FieldBinding['field'],
): FieldBinding => ({ tenantId: owner.tenantId, processId: owner.processId, field });

export function createProcessStore(db: Db, cipher: FieldCipher): ProcessStore {
  const processes = db.collection<ProcessDoc>(COLLECTIONS.processes);
  /** The state without its history, which only `events()` reads. */
  const state = { _id: 0, history: 0 } as const;
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
    ...(doc.result !== undefined ? { result: cipher.open(doc.result, binding(doc, 'result')) } : {}),
    ...(doc.error ? { error: doc.error } : {}),
    attempts: doc.attempts,
    ...(doc.completedAt ? { completedAt: doc.completedAt.toISOString() } : {}),
  });

  const store: ProcessStore = {
    processes,
    async ensureIndexes() {
      await processes.createIndex({ processId: 1 }, { unique: true, name: 'processId_unique' });
      // The version guard's exact key. Redundant on MongoDB (processId alone is unique), but
      // mongo-java-server uses an index only for an exact key match, and otherwise scans.
      await processes.createIndex({ processId: 1, version: 1 }, { unique: true, name: 'processId_version' });
      await processes.createIndex({ idemKey: 1 }, { unique: true, name: 'idemKey_unique' });
      await processes.createIndex({ tenantId: 1, createdAt: -1 }, { name: 'tenant_created' });
      await processes.createIndex({ completedAt: 1 }, { name: 'completed' });
    },
    insert(given, event) {
      return traced(COLLECTIONS.processes, 'insert', async (): Promise<InsertOutcome> => {
        const doc: ProcessDoc = event ? { ...given, history: [entryOf(given, event)] } : { ...given };
        try {
          await processes.insertOne({ ...doc });
          return { kind: 'inserted', doc };
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          const existing = await processes.findOne({ processId: doc.processId }, { projection: state });
          if (existing) return { kind: 'exists', doc: existing };
          return {
            kind: 'idempotency-conflict',
            existing: await processes.findOne({ idemKey: doc.idemKey }, { projection: state }),
          };
        }
      });
    },
    get(processId) {
      return traced(COLLECTIONS.processes, 'find', () =>
        processes.findOne({ processId }, { projection: state }),
      );
    },
    getForTenant(tenantId, processId) {
      // By processId alone (the exact key of a unique index), then the tenant checked here.
      return traced(COLLECTIONS.processes, 'find', async () => {
        const doc = await processes.findOne({ processId }, { projection: state });
        return doc?.tenantId === tenantId ? doc : null;
      });
    },
    update(processId, expectedVersion, set, event, unset = []) {
      return traced(COLLECTIONS.processes, 'findAndModify', () =>
        update(processId, expectedVersion, set, event, unset),
      );
    },
    mark(processId, set, unset = [], version) {
      return traced(COLLECTIONS.processes, 'update', async () => {
        const change: Record<string, unknown> = { $set: set };
        if (unset.length > 0) change.$unset = Object.fromEntries(unset.map((k) => [k, '']));
        await processes.updateOne({ processId, ...(version !== undefined ? { version } : {}) }, change);
      });
    },
    renewLease(processId, owner, expiresAt) {
      return traced(COLLECTIONS.processes, 'update', async () => {
        const r = await processes.updateOne(
          { processId, 'lease.owner': owner },
          { $set: { 'lease.expiresAt': expiresAt } },
        );
        return r.matchedCount === 1;
      });
    },
    releaseLease(processId, owner, released) {
      return traced(COLLECTIONS.processes, 'update', async () => {
        await processes.updateOne(
          { processId, 'lease.owner': owner },
          released
            ? {
                $unset: { lease: '' },
                $push: { releasedRuns: { owner, ...released, at: new Date() } },
              }
            : { $unset: { lease: '' } },
        );
      });
    },
    events(processId) {
      return traced(COLLECTIONS.processes, 'find', async () => {
        const doc = await processes.findOne(
          { processId },
          { projection: { _id: 0, processId: 1, tenantId: 1, processType: 1, history: 1 } },
        );
        return (doc?.history ?? [])
          .map((e) => ({
            ...e,
            processId: doc?.processId ?? processId,
            tenantId: doc?.tenantId ?? '',
            processType: doc?.processType ?? '',
          }))
          .sort((a, b) => a.version - b.version);
      });
    },
    list(query) {
      return traced(COLLECTIONS.processes, 'find', () => list(query));
    },
    toView,
    data(doc) {
      return cipher.open(doc.data, binding(doc, 'data'));
    },
    seal(value, owner, field) {
      return cipher.seal(value, binding(owner, field));
    },
    async ping() {
      await db.command({ ping: 1 });
    },
  };

  function entryOf(doc: StateChange & { version: number; updatedAt: Date }, event: EventInfo): HistoryEntry {
    return {
      version: doc.version,
      status: doc.status,
      time: doc.updatedAt,
      actor: event.actor,
      ...(event.correlationId ? { correlationId: event.correlationId } : {}),
      ...(event.note ? { note: event.note } : {}),
      ...(doc.progress ? { progress: doc.progress } : {}),
      ...(doc.error ? { error: doc.error } : {}),
    };
  }

  async function update(
    processId: string,
    expectedVersion: number,
    set: StateChange,
    event: EventInfo,
    unset: readonly (keyof ProcessDoc)[],
  ): Promise<ProcessDoc | null> {
    const next = { ...set, version: expectedVersion + 1, updatedAt: new Date() };
    const change: Record<string, unknown> = {
      $set: next,
      // The entry carries the error the state keeps (a retry's set names it; a completion unsets it).
      $push: { history: entryOf(next, event) },
    };
    if (unset.length > 0) change.$unset = Object.fromEntries(unset.map((k) => [k, '']));
    // The history comes back too (a findAndModify projection is not in the conformance suite); it is dropped here.
    const doc = await processes.findOneAndUpdate({ processId, version: expectedVersion }, change, {
      returnDocument: 'after',
    });
    if (!doc) return null;
    const { _id, history, ...rest } = doc as ProcessDoc & { _id?: unknown };
    return rest;
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
      .find(filter, { projection: state })
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
