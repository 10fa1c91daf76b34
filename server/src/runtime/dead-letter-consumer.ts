import { AMQP_HEADERS, isTerminal } from '@stargate/contracts';
import type { ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import type { Publisher } from '../broker/publisher.js';
import type { ServerMetrics } from '../observability/metrics.js';
import type { ProcessStore } from '../store/process-store.js';
import { eventInfo, publishState } from './state-events.js';
import { correlationIdOf, parseRequest } from './request-message.js';

/**
 * A request that exceeded the delivery limit (a poison message: it crashed or stalled every
 * worker that took it) lands in stargate.dead; this marks its process failed, so the client
 * learns about it instead of waiting forever.
 */
export async function handleDeadLetter(
  deps: { store: ProcessStore; publisher: Publisher; metrics: ServerMetrics; logger: Logger; actor: string },
  msg: ConsumeMessage,
): Promise<void> {
  let req: ReturnType<typeof parseRequest>;
  try {
    req = parseRequest(msg);
  } catch (err) {
    deps.logger.error(
      {
        err: (err as Error).message,
        messageId: msg.properties.messageId,
        type: msg.properties.headers?.[AMQP_HEADERS.processType],
      },
      'unreadable message dead-lettered; kept in stargate.dead for inspection',
    );
    deps.metrics.deadLettered.inc({ type: 'unknown' });
    return;
  }
  const deliveries = msg.properties.headers?.['x-delivery-count'];
  const error = {
    code: 'DELIVERY_LIMIT_EXCEEDED',
    message: 'the request failed to be processed on every delivery and was moved to the dead-letter queue',
    details: { attempt: req.attempt, ...(typeof deliveries === 'number' ? { deliveries } : {}) },
    retryable: false,
  };
  const trace = { correlationId: correlationIdOf(msg, req.processId) };
  for (let loop = 0; loop < 5; loop++) {
    const doc = await deps.store.get(req.processId);
    if (!doc) {
      const now = new Date();
      const inserted = await deps.store.insert(
        {
          processId: req.processId,
          tenantId: req.tenantId,
          idemKey: `${req.tenantId}:${req.idempotencyKey ?? req.processId}`,
          clientId: req.clientId,
          processType: req.processType,
          status: 'failed',
          version: 1,
          payloadHash: req.payloadHash,
          data: deps.store.seal(req.data, req, 'data'),
          error,
          attempts: req.attempt,
          submittedAt: req.submittedAt,
          createdAt: now,
          updatedAt: now,
          completedAt: now,
        },
        eventInfo(deps.actor, trace, error.code),
      );
      if (inserted.kind === 'inserted') {
        deps.metrics.deadLettered.inc({ type: req.processType });
        await publishState(deps, inserted.doc, trace);
        return;
      }
      continue;
    }
    if (isTerminal(doc.status) || doc.tenantId !== req.tenantId) return;
    const failed = await deps.store.update(
      doc.processId,
      doc.version,
      { status: 'failed', error, completedAt: new Date(), processType: req.processType },
      eventInfo(deps.actor, trace, error.code),
      ['nextAttempt', 'lease'],
    );
    if (!failed) continue;
    deps.metrics.deadLettered.inc({ type: req.processType });
    deps.logger.warn({ processId: doc.processId }, 'poison request dead-lettered; process marked failed');
    await publishState(deps, failed, trace);
    return;
  }
}
