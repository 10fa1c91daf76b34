import { randomUUID } from 'node:crypto';
import {
  AMQP_HEADERS,
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

/**
 * One audit record per request, handed to the server tier (which stores it) without holding
 * up the answer. A record that cannot be published is logged in full and counted, so the
 * trail survives in the logs.
 */
export function createAuditor(deps: { broker: Broker; logger: Logger; metrics: Metrics; now: () => number }) {
  const inFlight = new Set<Promise<void>>();
  return {
    record(data: Omit<AuditRecordData, 'auditId' | 'time'>): void {
      const record: AuditRecordData = {
        auditId: randomUUID(),
        time: new Date(deps.now()).toISOString(),
        ...data,
      };
      const event = cloudEvent(
        {
          id: record.auditId,
          source: EVENT_SOURCE,
          type: MESSAGE_TYPES.audit,
          tenantId: record.tenantId ?? 'unknown',
          correlationId: record.correlationId,
          ...(record.processId ? { subject: record.processId } : {}),
        },
        record,
        new Date(deps.now()),
      );
      const p = deps.broker
        .publish(EXCHANGES.audit, QUEUES.audit, event, {
          messageId: record.auditId,
          type: MESSAGE_TYPES.audit,
          headers: {
            [AMQP_HEADERS.correlationId]: record.correlationId,
            ...(record.tenantId ? { [AMQP_HEADERS.tenantId]: record.tenantId } : {}),
          },
        })
        .catch((err: Error) => {
          deps.metrics.auditFailures.inc();
          deps.logger.error(
            { event: 'audit.unpublished', audit: record, err: err.message },
            'audit record not published',
          );
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    /** Waits for records still being published (shutdown). */
    async flush(): Promise<void> {
      await Promise.allSettled([...inFlight]);
    },
  };
}

export type Auditor = ReturnType<typeof createAuditor>;
