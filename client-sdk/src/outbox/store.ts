import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type { ProcessStatusBody, SubmitAccepted } from '@stargate/contracts';

/** A submission written before it is sent; its idempotency key is reused by every resend. */
export interface OutboxEntry {
  seq: number;
  idempotencyKey: string;
  processType: string;
  clientProcessId?: string;
  data: unknown;
  state: 'queued' | 'accepted' | 'rejected';
  processId?: string;
  error?: string;
  /** HTTP status of a permanent rejection. */
  rejectedStatus?: number;
  attempts: number;
  createdAt: number;
}

/** A process the client polls until it reaches a terminal status, across restarts. */
export interface TrackedProcess {
  processId: string;
  processType: string;
  clientProcessId?: string;
  idempotencyKey?: string;
  acceptedAt: number;
  status: string;
  version: number;
  view?: ProcessStatusBody;
  warned: boolean;
  done: boolean;
}

export interface StoredResult {
  processId: string;
  processType: string;
  status: 'completed' | 'failed' | 'cancelled';
  view: ProcessStatusBody;
  storedAt: number;
  consumedAt?: number;
  deliveryAttempts: number;
}

type Row = Record<string, SQLInputValue>;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  idempotency_key TEXT NOT NULL UNIQUE,
  process_type TEXT NOT NULL,
  client_process_id TEXT,
  data TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued',
  process_id TEXT,
  error TEXT,
  rejected_status INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq);
CREATE TABLE IF NOT EXISTS tracked (
  process_id TEXT PRIMARY KEY,
  process_type TEXT NOT NULL,
  client_process_id TEXT,
  idempotency_key TEXT,
  accepted_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 0,
  view TEXT,
  warned INTEGER NOT NULL DEFAULT 0,
  done INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS results (
  process_id TEXT PRIMARY KEY,
  process_type TEXT NOT NULL,
  status TEXT NOT NULL,
  view TEXT NOT NULL,
  stored_at INTEGER NOT NULL,
  consumed_at INTEGER,
  delivery_attempts INTEGER NOT NULL DEFAULT 0
);
`;

function str(v: SQLInputValue | undefined): string | undefined {
  return v === null || v === undefined ? undefined : String(v);
}

function toEntry(r: Row): OutboxEntry {
  const e: OutboxEntry = {
    seq: Number(r.seq),
    idempotencyKey: String(r.idempotency_key),
    processType: String(r.process_type),
    data: JSON.parse(String(r.data)),
    state: String(r.state) as OutboxEntry['state'],
    attempts: Number(r.attempts),
    createdAt: Number(r.created_at),
  };
  const cpid = str(r.client_process_id);
  if (cpid !== undefined) e.clientProcessId = cpid;
  const pid = str(r.process_id);
  if (pid !== undefined) e.processId = pid;
  const error = str(r.error);
  if (error !== undefined) e.error = error;
  if (r.rejected_status !== null && r.rejected_status !== undefined)
    e.rejectedStatus = Number(r.rejected_status);
  return e;
}

function toTracked(r: Row): TrackedProcess {
  const t: TrackedProcess = {
    processId: String(r.process_id),
    processType: String(r.process_type),
    acceptedAt: Number(r.accepted_at),
    status: String(r.status),
    version: Number(r.version),
    warned: Number(r.warned) === 1,
    done: Number(r.done) === 1,
  };
  const cpid = str(r.client_process_id);
  if (cpid !== undefined) t.clientProcessId = cpid;
  const key = str(r.idempotency_key);
  if (key !== undefined) t.idempotencyKey = key;
  const view = str(r.view);
  if (view !== undefined) t.view = JSON.parse(view) as ProcessStatusBody;
  return t;
}

function toResult(r: Row): StoredResult {
  const s: StoredResult = {
    processId: String(r.process_id),
    processType: String(r.process_type),
    status: String(r.status) as StoredResult['status'],
    view: JSON.parse(String(r.view)) as ProcessStatusBody,
    storedAt: Number(r.stored_at),
    deliveryAttempts: Number(r.delivery_attempts),
  };
  const consumed = r.consumed_at;
  if (consumed !== null && consumed !== undefined) s.consumedAt = Number(consumed);
  return s;
}

/**
 * The SDK's durable state in one SQLite file (WAL, synchronous=FULL): a submission is committed
 * here before it is sent, so a crash or an outage never loses it and a resend reuses its key.
 */
export function openStore(path: string) {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // Payloads and tokens' results live here: owner only. SQLite creates the -wal and -shm
    // files with the database file's mode, so they follow.
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
  }
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;');
  db.exec(SCHEMA);

  const q = {
    insert: db.prepare(
      `INSERT INTO outbox (idempotency_key, process_type, client_process_id, data, created_at)
       VALUES (?, ?, ?, ?, ?) RETURNING *`,
    ),
    byKey: db.prepare('SELECT * FROM outbox WHERE idempotency_key = ?'),
    queued: db.prepare(`SELECT * FROM outbox WHERE state = 'queued' ORDER BY seq`),
    nextQueued: db.prepare(`SELECT * FROM outbox WHERE state = 'queued' ORDER BY seq LIMIT 1`),
    attempt: db.prepare('UPDATE outbox SET attempts = attempts + 1, error = ? WHERE idempotency_key = ?'),
    accept: db.prepare(
      `UPDATE outbox SET state = 'accepted', process_id = ?, error = NULL WHERE idempotency_key = ?`,
    ),
    reject: db.prepare(
      `UPDATE outbox SET state = 'rejected', error = ?, rejected_status = ? WHERE idempotency_key = ?`,
    ),
    purge: db.prepare(`DELETE FROM outbox WHERE state = 'queued'`),
    track: db.prepare(
      `INSERT INTO tracked (process_id, process_type, client_process_id, idempotency_key, accepted_at, status)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (process_id) DO NOTHING`,
    ),
    trackedOne: db.prepare('SELECT * FROM tracked WHERE process_id = ?'),
    trackedOpen: db.prepare('SELECT * FROM tracked WHERE done = 0 ORDER BY accepted_at, rowid'),
    trackedUpdate: db.prepare(
      'UPDATE tracked SET status = ?, version = ?, view = ?, done = ? WHERE process_id = ? AND version <= ?',
    ),
    warned: db.prepare('UPDATE tracked SET warned = 1 WHERE process_id = ?'),
    untrack: db.prepare('UPDATE tracked SET done = 1 WHERE process_id = ?'),
    reopen: db.prepare('UPDATE tracked SET done = 0, warned = 0, accepted_at = ? WHERE process_id = ?'),
    dropResult: db.prepare('DELETE FROM results WHERE process_id = ?'),
    result: db.prepare(
      `INSERT INTO results (process_id, process_type, status, view, stored_at)
       VALUES (?, ?, ?, ?, ?) ON CONFLICT (process_id) DO NOTHING`,
    ),
    resultOne: db.prepare('SELECT * FROM results WHERE process_id = ?'),
    pending: db.prepare('SELECT * FROM results WHERE consumed_at IS NULL ORDER BY stored_at, rowid'),
    delivered: db.prepare('UPDATE results SET consumed_at = ? WHERE process_id = ?'),
    pruneResults: db.prepare('DELETE FROM results WHERE consumed_at IS NOT NULL AND consumed_at < ?'),
    pruneTracked: db.prepare(
      'DELETE FROM tracked WHERE done = 1 AND accepted_at < ? AND process_id NOT IN (SELECT process_id FROM results)',
    ),
    pruneOutbox: db.prepare(`DELETE FROM outbox WHERE state != 'queued' AND created_at < ?`),
    deliveryFailed: db.prepare(
      'UPDATE results SET delivery_attempts = delivery_attempts + 1 WHERE process_id = ?',
    ),
  };

  function tx<T>(fn: () => T): T {
    db.exec('BEGIN IMMEDIATE');
    try {
      const v = fn();
      db.exec('COMMIT');
      return v;
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }

  return {
    enqueue(e: {
      idempotencyKey: string;
      processType: string;
      clientProcessId?: string;
      data: unknown;
      createdAt: number;
    }): OutboxEntry {
      const row = q.insert.get(
        e.idempotencyKey,
        e.processType,
        e.clientProcessId ?? null,
        JSON.stringify(e.data ?? null),
        e.createdAt,
      ) as Row;
      return toEntry(row);
    },
    entry(idempotencyKey: string): OutboxEntry | undefined {
      const r = q.byKey.get(idempotencyKey) as Row | undefined;
      return r ? toEntry(r) : undefined;
    },
    queued(): OutboxEntry[] {
      return (q.queued.all() as Row[]).map(toEntry);
    },
    /** The oldest submission not yet accepted: the only one the sender may send next. */
    nextQueued(): OutboxEntry | undefined {
      const r = q.nextQueued.get() as Row | undefined;
      return r ? toEntry(r) : undefined;
    },
    recordAttempt(idempotencyKey: string, error: string | undefined): void {
      q.attempt.run(error ?? null, idempotencyKey);
    },
    /** Marks the submission sent and starts tracking its process, atomically. */
    accept(entry: OutboxEntry, accepted: SubmitAccepted, at: number): TrackedProcess {
      return tx(() => {
        q.accept.run(accepted.processId, entry.idempotencyKey);
        q.track.run(
          accepted.processId,
          accepted.processType ?? entry.processType,
          accepted.clientProcessId ?? entry.clientProcessId ?? null,
          entry.idempotencyKey,
          at,
          accepted.status ?? 'accepted',
        );
        return toTracked(q.trackedOne.get(accepted.processId) as Row);
      });
    },
    reject(idempotencyKey: string, error: string, status: number): void {
      q.reject.run(error, status, idempotencyKey);
    },
    purgeQueued(): number {
      return Number(q.purge.run().changes);
    },
    track(t: {
      processId: string;
      processType: string;
      clientProcessId?: string;
      acceptedAt: number;
      status: string;
    }) {
      q.track.run(t.processId, t.processType, t.clientProcessId ?? null, null, t.acceptedAt, t.status);
      return toTracked(q.trackedOne.get(t.processId) as Row);
    },
    tracked(processId: string): TrackedProcess | undefined {
      const r = q.trackedOne.get(processId) as Row | undefined;
      return r ? toTracked(r) : undefined;
    },
    openTracked(): TrackedProcess[] {
      return (q.trackedOpen.all() as Row[]).map(toTracked);
    },
    /** Records a newer view; an older version never overwrites a newer one. */
    updateTracked(view: ProcessStatusBody, done: boolean): void {
      q.trackedUpdate.run(
        view.status,
        view.version,
        JSON.stringify(view),
        done ? 1 : 0,
        view.processId,
        view.version,
      );
    },
    markWarned(processId: string): void {
      q.warned.run(processId);
    },
    untrack(processId: string): void {
      q.untrack.run(processId);
    },
    /**
     * A failed process was retried: poll it again on a fresh schedule, and let its next final
     * view be stored and delivered (the failure was already delivered, or is superseded).
     */
    reopen(processId: string, at: number): void {
      tx(() => {
        q.reopen.run(at, processId);
        q.dropResult.run(processId);
      });
    },
    /** Stores a terminal view and marks the process done, atomically; the first stored result wins. */
    storeResult(view: ProcessStatusBody, at: number): StoredResult {
      return tx(() => {
        q.trackedUpdate.run(view.status, view.version, JSON.stringify(view), 1, view.processId, view.version);
        q.result.run(view.processId, view.processType, view.status, JSON.stringify(view), at);
        return toResult(q.resultOne.get(view.processId) as Row);
      });
    },
    result(processId: string): StoredResult | undefined {
      const r = q.resultOne.get(processId) as Row | undefined;
      return r ? toResult(r) : undefined;
    },
    pendingResults(): StoredResult[] {
      return (q.pending.all() as Row[]).map(toResult);
    },
    markConsumed(processId: string, at: number): void {
      q.delivered.run(at, processId);
    },
    markDeliveryFailed(processId: string): void {
      q.deliveryFailed.run(processId);
    },
    /** Forgets finished work older than `before` (consumed results, done processes, sent entries). */
    prune(before: number): { results: number; tracked: number; outbox: number } {
      return tx(() => ({
        results: Number(q.pruneResults.run(before).changes),
        tracked: Number(q.pruneTracked.run(before).changes),
        outbox: Number(q.pruneOutbox.run(before).changes),
      }));
    },
    close(): void {
      if (db.isOpen) db.close();
    },
  };
}

export type Store = ReturnType<typeof openStore>;
