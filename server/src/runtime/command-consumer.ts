import { type CloudEvent, isTerminal, type ProcessCommandData } from '@stargate/contracts';
import type { ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import type { Publisher } from '../broker/publisher.js';
import type { ProcessStore } from '../store/process-store.js';
import { eventInfo, publishState } from './state-events.js';
import { correlationIdOf, MalformedMessageError, parseJson } from './request-message.js';

/**
 * Durable cancel/retry bookkeeping (QUEUES.control). Running handlers are aborted by each
 * worker's own exclusive cancel queue; this consumer handles what no handler is running:
 * queued processes (cancel before start), processes waiting for a retry, and manual retries.
 */
export interface CommandDeps {
  store: ProcessStore;
  publisher: Publisher;
  logger: Logger;
  actor: string;
}

export function parseCommand(msg: ConsumeMessage): ProcessCommandData {
  const event = parseJson(msg) as Partial<CloudEvent<Partial<ProcessCommandData>>>;
  const d = event?.data;
  if (
    !d ||
    typeof d.processId !== 'string' ||
    typeof d.tenantId !== 'string' ||
    (d.command !== 'cancel' && d.command !== 'retry')
  )
    throw new MalformedMessageError('not a process command');
  return d as ProcessCommandData;
}

const MAX_RACE_LOOPS = 5;

export async function handleCommand(deps: CommandDeps, msg: ConsumeMessage): Promise<void> {
  const cmd = parseCommand(msg);
  const { store } = deps;
  const trace = { correlationId: correlationIdOf(msg, cmd.processId) };
  const log = deps.logger.child({ processId: cmd.processId, tenantId: cmd.tenantId, command: cmd.command });
  for (let loop = 0; loop < MAX_RACE_LOOPS; loop++) {
    const doc = await store.getForTenant(cmd.tenantId, cmd.processId);
    if (!doc) {
      if (cmd.command === 'retry') {
        log.warn('retry of an unknown process; ignored');
        return;
      }
      // Still in the queue, not yet seen by a worker: leave a placeholder the worker will find.
      const now = new Date();
      const outcome = await store.insert({
        processId: cmd.processId,
        tenantId: cmd.tenantId,
        idemKey: `${cmd.tenantId}:${cmd.processId}`,
        clientId: cmd.clientId,
        processType: '',
        status: 'accepted',
        version: 0,
        payloadHash: '',
        data: null,
        attempts: 0,
        cancelRequested: true,
        submittedAt: cmd.requestedAt,
        createdAt: now,
        updatedAt: now,
      });
      if (outcome.kind === 'inserted') {
        log.info('cancel before the request reached a worker; it will never start');
        return;
      }
      continue;
    }
    if (isTerminal(doc.status) && !(cmd.command === 'retry' && doc.status === 'failed')) {
      log.info({ status: doc.status }, 'command on a finished process; republishing its state');
      if (doc.processType !== '') await publishState(deps, doc, trace);
      return;
    }
    if (cmd.command === 'retry') {
      if (doc.status !== 'failed' || !doc.error?.retryable) {
        log.info({ status: doc.status }, 'retry of a process that is not a retryable failure; ignored');
        return;
      }
      const attempt = Math.max(doc.attempts, doc.nextAttempt ?? 0) + 1;
      // Mark first: a crash before the publish redelivers the command, which publishes again.
      // An old cancel request (it lost the race to the failure) must not cancel the retry.
      await store.mark(doc.processId, { nextAttempt: attempt }, ['cancelRequested'], doc.version);
      await deps.publisher.request(
        {
          processId: doc.processId,
          tenantId: doc.tenantId,
          clientId: doc.clientId,
          processType: doc.processType,
          ...(doc.clientProcessId !== undefined ? { clientProcessId: doc.clientProcessId } : {}),
          ...(doc.idempotencyKey !== undefined ? { idempotencyKey: doc.idempotencyKey } : {}),
          payloadHash: doc.payloadHash,
          data: store.data(doc),
          submittedAt: doc.submittedAt,
          attempt,
        },
        trace,
      );
      log.info({ attempt }, 'manual retry published');
      return;
    }
    // Cancel. The flag (no version change) tells a worker that picks the process up, or resumes
    // it after a crash, not to run it.
    await store.mark(doc.processId, { cancelRequested: true });
    const idle = doc.status === 'accepted' || (doc.status === 'processing' && doc.nextAttempt !== undefined);
    if (!idle || doc.processType === '') return;
    const cancelled = await store.update(
      doc.processId,
      doc.version,
      { status: 'cancelled', completedAt: new Date() },
      eventInfo(deps.actor, trace, 'cancelled'),
      ['nextAttempt'],
    );
    if (!cancelled) continue;
    await publishState(deps, cancelled, trace);
    log.info('cancelled before it ran');
    return;
  }
}
