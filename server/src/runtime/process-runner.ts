import { randomUUID } from 'node:crypto';
import type { ProcessRequestedData } from '@stargate/contracts';
import type { ConsumeMessage } from 'amqplib';
import type { ProcessTypeRuntime } from '../config/process-types.js';
import { RuntimeAbort } from '../handlers/define-handler.js';
import { extractTrace, startConsumerSpan, traceHeaders, withSpan } from '../observability/tracing.js';
import { isStoreUnavailable } from '../store/process-store.js';
import { admit } from './admission.js';
import { LEASE_MS } from './lease.js';
import { correlationIdOf, MalformedMessageError, parseRequest } from './request-message.js';
import {
  type Disposition,
  PROCESSING_VISIBLE_AFTER_MS,
  PROGRESS_INTERVAL_MS,
  type RunnerContext,
  type RunnerDeps,
} from './runner-context.js';

export type { Disposition, RunnerDeps } from './runner-context.js';

export interface ProcessRunner {
  /** `channel` aborts when the delivery's channel is lost: a handler running for it is aborted. */
  handle(msg: ConsumeMessage, type: ProcessTypeRuntime, channel?: AbortSignal): Promise<Disposition>;
  /** Aborts the handler of `processId` if it runs here; returns whether it did. */
  cancelRunning(processId: string): boolean;
  abortAll(reason: 'shutdown'): void;
  inFlight(): number;
  /** Resolves when no handler runs any more. */
  idle(): Promise<void>;
}

/**
 * Takes the deliveries of the work queues: parses each request, runs it under its consumer
 * span (admission → execution → outcome), and tells the consumer how to settle the message.
 */
export function createProcessRunner(deps: RunnerDeps): ProcessRunner {
  const { logger } = deps;
  const rc: RunnerContext = {
    deps,
    running: new Map(),
    progressIntervalMs: deps.progressIntervalMs ?? PROGRESS_INTERVAL_MS,
    visibleAfterMs: deps.processingVisibleAfterMs ?? PROCESSING_VISIBLE_AFTER_MS,
    instanceId: deps.instanceId ?? `${deps.actor}:${randomUUID().slice(0, 8)}`,
    leaseMs: deps.leaseMs ?? LEASE_MS,
    runs: 0,
  };
  let active = 0;
  let idleWaiters: (() => void)[] = [];

  const wakeIdleWaiters = () => {
    if (active > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  return {
    async handle(msg, type, channel) {
      let req: ProcessRequestedData;
      try {
        req = parseRequest(msg);
        if (req.processType !== type.name)
          throw new MalformedMessageError(`processType ${req.processType} on the queue of ${type.name}`);
      } catch (err) {
        logger.error(
          { err, queue: type.name, messageId: msg.properties.messageId },
          'malformed request; dead-lettering it',
        );
        deps.metrics.errors.inc({ component: 'runner' });
        return 'dead-letter';
      }
      const parent = extractTrace(msg.properties.headers);
      const span = startConsumerSpan(`process ${type.name}`, parent, {
        'stargate.process_id': req.processId,
        'stargate.tenant_id': req.tenantId,
        'messaging.system': 'rabbitmq',
      });
      const trace = { correlationId: correlationIdOf(msg, req.processId), ...traceHeaders(span, parent) };
      const log = logger.child({
        processId: req.processId,
        processType: type.name,
        tenantId: req.tenantId,
        attempt: req.attempt,
        correlationId: trace.correlationId,
      });
      active += 1;
      try {
        // Active for the whole delivery, so the store's MongoDB spans and the handler span hang below it.
        return await withSpan(span, parent, () => admit(rc, { type, req, trace, log, span, channel }));
      } catch (err) {
        if (isStoreUnavailable(err)) {
          logger.warn(
            { err: (err as Error).message, processId: req.processId },
            'MongoDB unavailable; returning the request to the queue',
          );
          deps.onStoreUnavailable(err);
        } else {
          logger.error(
            { err, processId: req.processId },
            'processing failed; returning the request to the queue',
          );
          deps.metrics.errors.inc({ component: 'runner' });
        }
        return 'requeue';
      } finally {
        span.end();
        active -= 1;
        wakeIdleWaiters();
      }
    },
    cancelRunning(processId) {
      const c = rc.running.get(processId);
      if (!c) return false;
      c.abort(new RuntimeAbort('cancelled'));
      return true;
    },
    abortAll(reason) {
      for (const c of rc.running.values()) c.abort(new RuntimeAbort(reason));
    },
    inFlight: () => active,
    idle() {
      if (active === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
