import { EXCHANGES, QUEUES } from '@stargate/contracts';
import type { ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import type { Publisher } from '../broker/publisher.js';
import { SERVER_DEAD_LETTER_QUEUE } from '../broker/topology.js';
import type { ServerMetrics } from '../observability/metrics.js';
import { inConsumerSpan } from '../observability/tracing.js';
import type { AuditLog } from '../store/audit-log.js';
import { isStoreUnavailable, type ProcessStore } from '../store/process-store.js';
import { handleAuditRecord } from './audit-consumer.js';
import { handleCommand } from './command-consumer.js';
import { handleDeadLetter } from './dead-letter-consumer.js';
import type { Disposition } from './runner-context.js';
import { MalformedMessageError } from './request-message.js';

/** Deliveries of a command, dead letter or audit record before it is given up (logged). */
export const SIDE_DELIVERY_LIMIT = 10;
/** Unacknowledged commands and dead letters per worker (they share one channel). */
export const SIDE_PREFETCH = 16;
/** Unacknowledged audit records per worker (they are written in batches). */
export const AUDIT_PREFETCH = 256;

export interface SideQueueDeps {
  store: ProcessStore;
  audit: AuditLog;
  publisher: Publisher;
  metrics: ServerMetrics;
  logger: Logger;
  actor: string;
  onStoreUnavailable(err: unknown): void;
}

/**
 * The policy of the side queues (commands, dead letters, audit records), which have no delivery
 * limit of their own: ack when handled; dead-letter what is malformed or keeps failing; requeue
 * otherwise (a store outage also pauses consuming).
 */
export function sideQueuePolicy(
  deps: Pick<SideQueueDeps, 'logger' | 'metrics' | 'onStoreUnavailable'>,
  fn: (msg: ConsumeMessage) => Promise<void>,
  component: string,
): (msg: ConsumeMessage) => Promise<Disposition> {
  const { logger, metrics } = deps;
  return async (msg) => {
    try {
      await fn(msg);
      return 'ack';
    } catch (err) {
      if (err instanceof MalformedMessageError) {
        logger.error({ err: err.message, component }, 'malformed message; dead-lettering it');
        return 'dead-letter';
      }
      metrics.errors.inc({ component });
      if (isStoreUnavailable(err)) deps.onStoreUnavailable(err);
      const deliveries = Number(msg.properties.headers?.['x-delivery-count'] ?? 0);
      if (!isStoreUnavailable(err) && deliveries >= SIDE_DELIVERY_LIMIT) {
        // These queues have no delivery limit of their own: stop a message that always fails.
        logger.error({ err, component, deliveries }, 'message keeps failing; giving up on it');
        return 'dead-letter';
      }
      logger.warn(
        { err: (err as Error).message, component },
        'message not handled; returning it to the queue',
      );
      return 'requeue';
    }
  };
}

/** The side queues' message handlers, by queue; `side` for commands and dead letters, `audit` for audit records. */
export function sideQueueHandlers(
  deps: SideQueueDeps,
): { queue: string; lane: 'side' | 'audit'; onMessage: (msg: ConsumeMessage) => Promise<Disposition> }[] {
  const { store, publisher, metrics, logger, actor } = deps;
  return [
    {
      queue: QUEUES.control,
      lane: 'side',
      onMessage: sideQueuePolicy(
        deps,
        (msg) =>
          inConsumerSpan(
            `command ${msg.fields.routingKey.split('.', 1)[0]}`,
            msg.properties.headers,
            { 'messaging.destination.name': EXCHANGES.control },
            () => handleCommand({ store, publisher, logger, actor }, msg),
          ),
        'commands',
      ),
    },
    {
      queue: SERVER_DEAD_LETTER_QUEUE,
      lane: 'side',
      onMessage: sideQueuePolicy(
        deps,
        (msg) => handleDeadLetter({ store, publisher, metrics, logger, actor }, msg),
        'dead-letters',
      ),
    },
    {
      queue: QUEUES.audit,
      lane: 'audit',
      onMessage: sideQueuePolicy(deps, (msg) => handleAuditRecord(deps.audit, msg), 'audit'),
    },
  ];
}
