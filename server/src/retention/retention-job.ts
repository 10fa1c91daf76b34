import type { ServerConfig } from '@stargate/contracts';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import { COLLECTIONS, type ProcessDoc } from '../store/process-store.js';

const DAY_MS = 86_400_000;
const BATCH = 500;

export interface RetentionJob {
  /** One pass: deletes finished processes of its types older than their tenant's retention, and their events. */
  runOnce(now?: Date): Promise<number>;
  close(): void;
}

/**
 * A periodic job instead of TTL indexes, which no development store expires. Processes
 * finished (completedAt) before now − retention go, with their history; the audit log stays.
 * Each handler knows the retention only of the tenants of its own process types (the operator's
 * ServerConfig), so it deletes records of those types only: another handler's records belong to
 * tenants it may not know, whose retention is not the default.
 */
export function createRetentionJob(options: {
  db: Db;
  /** The process types this handler runs: the only ones whose records it deletes. */
  processTypes: readonly string[];
  retention: NonNullable<ServerConfig['retention']>;
  logger: Logger;
  intervalMs?: number;
}): RetentionJob {
  const processes = options.db.collection<ProcessDoc>(COLLECTIONS.processes);
  const tenants = options.retention.tenants ?? {};
  const processType = { $in: [...options.processTypes] };

  async function purge(filter: Record<string, unknown>): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = await processes
        .find(filter, { projection: { processId: 1, _id: 0 } })
        .limit(BATCH)
        .toArray();
      if (batch.length === 0) return total;
      const ids = batch.map((d) => d.processId);
      // A process takes its history with it (embedded).
      const res = await processes.deleteMany({ processId: { $in: ids } });
      total += res.deletedCount;
      if (batch.length < BATCH) return total;
    }
  }

  async function runOnce(now = new Date()): Promise<number> {
    let total = 0;
    for (const [tenantId, days] of Object.entries(tenants)) {
      total += await purge({
        tenantId,
        processType,
        completedAt: { $lt: new Date(now.getTime() - days * DAY_MS) },
      });
    }
    total += await purge({
      tenantId: { $nin: Object.keys(tenants) },
      processType,
      completedAt: { $lt: new Date(now.getTime() - options.retention.defaultDays * DAY_MS) },
    });
    if (total > 0) options.logger.info({ deleted: total }, 'retention removed finished processes');
    return total;
  }

  const timer = setInterval(() => {
    runOnce().catch((err: Error) =>
      options.logger.warn({ err: err.message }, 'retention pass failed; next pass retries'),
    );
  }, options.intervalMs ?? 3_600_000);
  timer.unref();
  return { runOnce, close: () => clearInterval(timer) };
}
