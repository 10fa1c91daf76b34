import { randomUUID } from 'node:crypto';
import {
  AMQP_HEADERS,
  type AuditBatchData,
  type AuditRecordData,
  cloudEvent,
  EXCHANGES,
  MESSAGE_TYPES,
  QUEUES,
} from '@stargate/contracts';
import type { Broker } from '../broker/broker.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

export const EVENT_SOURCE = 'stargate-gateway';

export type AuditInput = Omit<AuditRecordData, 'auditId' | 'time' | 'count' | 'lastTime' | 'correlationIds'>;

/** Successful status reads fold into one access record per (client, process, answer, address). */
function accessKey(data: AuditInput): string | undefined {
  if (data.method !== 'GET' || data.outcome !== 'success' || data.action !== 'status' || !data.processId)
    return undefined;
  return `${data.tenantId}\u0000${data.clientId}\u0000${data.processId}\u0000${data.status}\u0000${data.remoteAddress}`;
}

/**
 * The audit trail of the gateway's requests, handed to the server tier (which stores it)
 * without holding up any answer. Records are batched: one message per `maxRecords` records
 * or per `maxDelayMs`, whichever comes first, in the order they were made. Within a batch,
 * successful status reads of the same process by the same client become one access record
 * that keeps every request's correlation id; every other request (submissions, commands,
 * refusals, errors) is a record of its own. `flush()` (the drain) publishes what is pending
 * and waits for the broker's confirms. A batch that cannot be published is logged in full
 * and counted, so the trail survives in the logs.
 */
export function createAuditor(deps: {
  broker: Broker;
  logger: Logger;
  metrics: Metrics;
  now: () => number;
  maxRecords?: number;
  maxDelayMs?: number;
}) {
  const maxRecords = deps.maxRecords ?? 200;
  const maxDelayMs = deps.maxDelayMs ?? 100;
  const inFlight = new Set<Promise<void>>();
  let pending: AuditRecordData[] = [];
  let access = new Map<string, AuditRecordData>();
  let timer: NodeJS.Timeout | undefined;

  function publish(): void {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (pending.length === 0) return;
    const records = pending;
    pending = [];
    access = new Map();
    const id = randomUUID();
    const data: AuditBatchData = { records };
    const tenants = new Set(records.map((r) => r.tenantId ?? 'unknown'));
    const event = cloudEvent(
      {
        id,
        source: EVENT_SOURCE,
        type: MESSAGE_TYPES.auditBatch,
        tenantId: tenants.size === 1 ? [...tenants][0]! : 'multiple',
        correlationId: records[0]!.correlationId,
      },
      data,
      new Date(deps.now()),
    );
    const p = deps.broker
      .publish(EXCHANGES.audit, QUEUES.audit, event, {
        messageId: id,
        type: MESSAGE_TYPES.auditBatch,
        headers: { [AMQP_HEADERS.correlationId]: records[0]!.correlationId },
      })
      .catch((err: Error) => {
        deps.metrics.auditFailures.inc(records.length);
        for (const record of records)
          deps.logger.error(
            { event: 'audit.unpublished', audit: record, err: err.message },
            'audit record not published',
          );
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }

  return {
    record(data: AuditInput): void {
      const time = new Date(deps.now()).toISOString();
      const key = accessKey(data);
      const merged = key ? access.get(key) : undefined;
      if (merged) {
        merged.count = (merged.count ?? 1) + 1;
        merged.lastTime = time;
        merged.correlationIds!.push(data.correlationId);
        return;
      }
      const record: AuditRecordData = { auditId: randomUUID(), time, ...data };
      if (key) {
        record.count = 1;
        record.correlationIds = [data.correlationId];
        access.set(key, record);
      }
      pending.push(record);
      if (pending.length >= maxRecords) publish();
      else timer ??= setTimeout(publish, maxDelayMs);
    },
    /** Publishes what is pending and waits for every batch still being published (drain). */
    async flush(): Promise<void> {
      publish();
      await Promise.allSettled([...inFlight]);
    },
  };
}

export type Auditor = ReturnType<typeof createAuditor>;
