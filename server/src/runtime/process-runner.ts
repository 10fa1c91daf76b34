import {
  canTransition,
  isTerminal,
  type ProcessError,
  type ProcessRequestedData,
  type ProcessStateData,
  type ProcessStatus,
} from '@stargate/contracts';
import * as otel from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { ConsumeMessage } from 'amqplib';
import { MongoError } from 'mongodb';
import type { Logger } from 'pino';
import type { ProcessTypeRuntime } from '../config/process-types.js';
import { type HandlerContext, HandlerError, RuntimeAbort } from '../handlers/define-handler.js';
import type { Publisher, TraceHeaders } from '../broker/publisher.js';
import type { ServerMetrics } from '../observability/metrics.js';
import {
  extractTrace,
  startChildSpan,
  startConsumerSpan,
  traceHeaders,
  withSpan,
} from '../observability/tracing.js';
import {
  type EventInfo,
  isStoreUnavailable,
  type ProcessDoc,
  type ProcessStore,
} from '../store/process-store.js';
import { retryDelayMs } from './backoff.js';
import { createProgressCoalescer } from './progress-coalescer.js';
import { correlationIdOf, MalformedMessageError, parseRequest } from './request-message.js';

/** What the consumer does with the delivery once the runner is done with it. */
export type Disposition = 'ack' | 'requeue' | 'dead-letter';

export interface ProcessRunner {
  handle(msg: ConsumeMessage, type: ProcessTypeRuntime): Promise<Disposition>;
  /** Aborts the handler of `processId` if it runs here; returns whether it did. */
  cancelRunning(processId: string): boolean;
  abortAll(reason: 'shutdown'): void;
  inFlight(): number;
  /** Resolves when no handler runs any more. */
  idle(): Promise<void>;
}

export interface RunnerDeps {
  store: ProcessStore;
  publisher: Publisher;
  metrics: ServerMetrics;
  logger: Logger;
  /** Recorded as the actor of the events this worker writes. */
  actor: string;
  onStoreUnavailable(err: unknown): void;
  /** At most one progress write per process per this many ms (default PROGRESS_INTERVAL_MS). */
  progressIntervalMs?: number;
  /** `processing` is published only when the handler runs longer than this (default PROCESSING_VISIBLE_AFTER_MS). */
  processingVisibleAfterMs?: number;
}

const MAX_RACE_LOOPS = 5;
export const PROGRESS_INTERVAL_MS = 250;
/**
 * A handler that finishes sooner goes from `accepted` straight to its terminal state for the
 * outside world: no client could have seen `processing` in between, so it is not published
 * (it is recorded in the history all the same).
 */
export const PROCESSING_VISIBLE_AFTER_MS = 100;

export function stateOf(store: ProcessStore, doc: ProcessDoc): ProcessStateData {
  return { ...store.toView(doc), tenantId: doc.tenantId };
}

/** Publishes `doc`'s state with confirm (its history entry was written with the state). */
export async function publishState(
  deps: Pick<RunnerDeps, 'store' | 'publisher'>,
  doc: ProcessDoc,
  trace: TraceHeaders,
): Promise<void> {
  await deps.publisher.state(stateOf(deps.store, doc), trace);
}

/** Who writes a state change and the note its history entry keeps. */
export function eventInfo(actor: string, trace: TraceHeaders, note?: string): EventInfo {
  return {
    actor,
    ...(trace.correlationId ? { correlationId: trace.correlationId } : {}),
    ...(note ? { note } : {}),
  };
}

function toProcessError(err: unknown): ProcessError {
  if (err instanceof HandlerError) {
    return {
      code: err.code,
      message: err.message,
      ...(err.details ? { details: err.details } : {}),
      retryable: err.retryable,
    };
  }
  if (err instanceof RuntimeAbort && err.reason === 'timeout') {
    return {
      code: 'TIMEOUT',
      message: 'the handler did not finish within the processing timeout',
      retryable: true,
    };
  }
  // An unexpected exception is a bug in the handler: retrying would fail the same way.
  return {
    code: 'HANDLER_ERROR',
    message: err instanceof Error ? err.message : String(err),
    retryable: false,
  };
}

/** A MongoDB failure inside the handler (its progress write): the whole delivery is retried. */
function isStoreFailure(err: unknown): boolean {
  return err instanceof MongoError;
}

export function createProcessRunner(deps: RunnerDeps): ProcessRunner {
  const { store, logger } = deps;
  const running = new Map<string, AbortController>();
  let active = 0;
  let idleWaiters: (() => void)[] = [];

  const settle = () => {
    if (active > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const progressIntervalMs = deps.progressIntervalMs ?? PROGRESS_INTERVAL_MS;
  const visibleAfterMs = deps.processingVisibleAfterMs ?? PROCESSING_VISIBLE_AFTER_MS;

  async function transition(
    doc: ProcessDoc,
    status: ProcessStatus,
    set: Partial<ProcessDoc>,
    trace: TraceHeaders,
    note?: string,
    unset: (keyof ProcessDoc)[] = [],
  ): Promise<ProcessDoc | null> {
    // A terminal state is final (only a retry may reopen a failure): when another delivery of
    // the same process finished it first, this late outcome is dropped and the recorded one wins.
    if (isTerminal(doc.status) && !canTransition(doc.status, status)) return null;
    const terminal = isTerminal(status);
    return store.update(
      doc.processId,
      doc.version,
      { ...set, status, ...(terminal ? { completedAt: new Date() } : {}) },
      eventInfo(deps.actor, trace, note),
      terminal ? [...unset, 'nextAttempt'] : unset,
    );
  }

  /**
   * Creates the record already started (or already failed, for invalid data), which saves a
   * write per process; or finds the existing one (a redelivery, a retry or a cancel placeholder).
   */
  async function recordOf(
    req: ProcessRequestedData,
    correlationId: string,
    invalid: ProcessError | undefined,
  ): Promise<{ doc: ProcessDoc; created: boolean } | 'conflict'> {
    const now = new Date();
    const outcome = await store.insert(
      {
        processId: req.processId,
        tenantId: req.tenantId,
        idemKey: `${req.tenantId}:${req.idempotencyKey ?? req.processId}`,
        ...(req.idempotencyKey !== undefined ? { idempotencyKey: req.idempotencyKey } : {}),
        clientId: req.clientId,
        ...(req.clientProcessId !== undefined ? { clientProcessId: req.clientProcessId } : {}),
        processType: req.processType,
        // The gateway's `accepted` seed is version 0; every change here counts up from 1.
        version: 1,
        ...(invalid
          ? { status: 'failed' as const, error: invalid, completedAt: now }
          : { status: 'processing' as const, progress: { percent: 0, currentStep: 'started' } }),
        payloadHash: req.payloadHash,
        data: store.seal(req.data, req, 'data'),
        attempts: req.attempt,
        correlationId,
        submittedAt: req.submittedAt,
        createdAt: new Date(req.submittedAt).getTime() ? new Date(req.submittedAt) : now,
        updatedAt: now,
      },
      eventInfo(deps.actor, { correlationId }, invalid?.code),
    );
    if (outcome.kind === 'idempotency-conflict') return 'conflict';
    return { doc: outcome.doc, created: outcome.kind === 'inserted' };
  }

  function invalidRequest(type: ProcessTypeRuntime, data: unknown): ProcessError | undefined {
    if (type.validateRequest(data)) return undefined;
    return {
      code: 'INVALID_REQUEST',
      message: 'the request data does not match the process type schema',
      details: { errors: type.validateRequest.errors ?? [] },
      retryable: false,
    };
  }

  async function run(
    type: ProcessTypeRuntime,
    req: ProcessRequestedData,
    trace: TraceHeaders & { correlationId: string },
    span: Span,
  ): Promise<Disposition> {
    const log = logger.child({
      processId: req.processId,
      processType: type.name,
      tenantId: req.tenantId,
      attempt: req.attempt,
      correlationId: trace.correlationId,
    });
    const invalid = invalidRequest(type, req.data);
    for (let loop = 0; loop < MAX_RACE_LOOPS; loop++) {
      const found = await recordOf(req, trace.correlationId, invalid);
      if (found === 'conflict') {
        // The idempotency key already names another process (the gateway lost its record of it).
        log.warn('idempotency key already used by another process; rejecting this one');
        await deps.publisher.state(
          {
            processId: req.processId,
            processType: req.processType,
            tenantId: req.tenantId,
            status: 'failed',
            version: 1,
            createdAt: req.submittedAt,
            updatedAt: new Date().toISOString(),
            error: {
              code: 'DUPLICATE_IDEMPOTENCY_KEY',
              message: 'the idempotency key is already used by another process',
              retryable: false,
            },
          },
          trace,
        );
        return 'ack';
      }
      const doc = found.doc;
      if (found.created) {
        if (invalid) {
          await publishState(deps, doc, trace);
          deps.metrics.processes.inc({ type: type.name, outcome: 'failed' });
          return 'ack';
        }
        return execute(doc, type, req, trace, log, span);
      }
      if (doc.tenantId !== req.tenantId) {
        log.error(
          { ownerTenant: doc.tenantId },
          'request names a process of another tenant; dead-lettering it',
        );
        deps.metrics.errors.inc({ component: 'runner' });
        return 'dead-letter';
      }
      if (doc.processType === '') {
        // A cancel arrived before the request: fill in the placeholder and finish it as cancelled.
        const filled = await store.update(
          doc.processId,
          doc.version,
          {
            processType: req.processType,
            clientId: req.clientId,
            ...(req.clientProcessId !== undefined ? { clientProcessId: req.clientProcessId } : {}),
            payloadHash: req.payloadHash,
            data: store.seal(req.data, req, 'data'),
            status: 'cancelled',
            completedAt: new Date(),
          },
          eventInfo(deps.actor, trace, 'cancelled before start'),
        );
        if (!filled) continue;
        await publishState(deps, filled, trace);
        deps.metrics.processes.inc({ type: type.name, outcome: 'cancelled' });
        return 'ack';
      }
      const manualRetry =
        doc.status === 'failed' && doc.nextAttempt !== undefined && req.attempt >= doc.nextAttempt;
      if (isTerminal(doc.status) && !manualRetry) {
        // Already finished (a redelivery after a crash): make sure the world has heard, then ack.
        log.info({ status: doc.status }, 'process already finished; republishing its final state');
        await publishState(deps, doc, trace);
        return 'ack';
      }
      const expected = doc.nextAttempt ?? Math.max(doc.attempts, 1);
      if (req.attempt < expected) {
        log.info({ expected }, 'stale request of an earlier attempt; dropping it');
        return 'ack';
      }
      if (doc.cancelRequested) {
        const cancelled = await transition(doc, 'cancelled', {}, trace, 'cancelled before start');
        if (!cancelled) continue;
        await publishState(deps, cancelled, trace);
        deps.metrics.processes.inc({ type: type.name, outcome: 'cancelled' });
        return 'ack';
      }
      if (invalid) {
        const failed = await transition(doc, 'failed', { attempts: req.attempt, error: invalid }, trace);
        if (!failed) continue;
        await publishState(deps, failed, trace);
        deps.metrics.processes.inc({ type: type.name, outcome: 'failed' });
        return 'ack';
      }
      const started = await transition(
        doc,
        'processing',
        { attempts: req.attempt, progress: { percent: 0, currentStep: 'started' } },
        trace,
        req.attempt > 1 ? `attempt ${req.attempt}` : undefined,
        ['nextAttempt', 'error'],
      );
      if (!started) continue;
      return execute(started, type, req, trace, log, span);
    }
    throw new Error(`process ${req.processId}: state kept changing underneath; giving up this delivery`);
  }

  async function execute(
    initial: ProcessDoc,
    type: ProcessTypeRuntime,
    req: ProcessRequestedData,
    trace: TraceHeaders & { correlationId: string },
    log: Logger,
    span: Span,
  ): Promise<Disposition> {
    let doc = initial;
    const controller = new AbortController();
    running.set(doc.processId, controller);
    const timer = setTimeout(() => controller.abort(new RuntimeAbort('timeout')), type.timeoutMs);
    // `processing` becomes visible (published) only if the handler is still running after a while.
    let visible: Promise<void> | undefined;
    const showProcessing = setTimeout(() => {
      visible = publishState(deps, doc, trace).catch((err: unknown) => {
        log.warn({ err: String(err), version: doc.version }, 'processing state not published; continuing');
      });
    }, visibleAfterMs);
    const progress = createProgressCoalescer({
      intervalMs: progressIntervalMs,
      async write(next) {
        if (controller.signal.aborted) return;
        const written = await store.update(
          doc.processId,
          doc.version,
          { status: 'processing', progress: next },
          eventInfo(deps.actor, trace),
        );
        if (!written) {
          const fresh = await store.get(doc.processId);
          if (fresh) doc = fresh;
          if (fresh?.cancelRequested || (fresh && isTerminal(fresh.status)))
            controller.abort(new RuntimeAbort('cancelled'));
          return;
        }
        doc = written;
        await publishState(deps, doc, trace).catch((err: unknown) => {
          // Progress is advisory and already recorded in MongoDB: a broker outage must not fail
          // the handler. The next state event (at the latest the final one) carries newer data.
          log.warn({ err: String(err), version: doc.version }, 'progress event not published; continuing');
        });
        // A cancel that reached this worker before the handler was registered is seen here.
        if (written.cancelRequested) controller.abort(new RuntimeAbort('cancelled'));
      },
    });
    const ctx: HandlerContext = {
      processId: doc.processId,
      processType: type.name,
      tenantId: doc.tenantId,
      correlationId: trace.correlationId,
      attempt: req.attempt,
      signal: controller.signal,
      logger: log,
      progress(percent, currentStep) {
        if (!controller.signal.aborted)
          progress.report({
            percent: Math.max(0, Math.min(100, Math.round(percent))),
            ...(currentStep ? { currentStep } : {}),
          });
        return Promise.resolve();
      },
    };
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(controller.signal.reason);
      if (controller.signal.aborted) fail();
      else controller.signal.addEventListener('abort', fail, { once: true });
    });
    aborted.catch(() => undefined);
    const startedAt = process.hrtime.bigint();
    let outcome: { ok: true; result: unknown } | { ok: false; error: unknown };
    const handlerSpan = startChildSpan(`handler ${type.name}`, {
      'stargate.process_id': doc.processId,
      'stargate.process_type': type.name,
      'stargate.attempt': req.attempt,
    });
    try {
      const data = store.data(doc);
      const handled = withSpan(handlerSpan, otel.context.active(), () => type.handler.handle(ctx, data));
      outcome = { ok: true, result: await Promise.race([handled, aborted]) };
    } catch (error) {
      outcome = { ok: false, error };
      handlerSpan.recordException(error instanceof Error ? error : String(error));
      handlerSpan.setStatus({ code: otel.SpanStatusCode.ERROR });
    } finally {
      handlerSpan.end();
      clearTimeout(timer);
      running.delete(doc.processId);
      deps.metrics.handlerDuration.observe(
        { type: type.name },
        Number(process.hrtime.bigint() - startedAt) / 1e9,
      );
    }
    clearTimeout(showProcessing);
    let lastProgress: Awaited<ReturnType<typeof progress.close>>;
    try {
      lastProgress = await progress.close();
    } finally {
      await visible;
    }
    return finish(doc, type, req, trace, log, outcome, span, lastProgress);
  }

  async function finish(
    current: ProcessDoc,
    type: ProcessTypeRuntime,
    req: ProcessRequestedData,
    trace: TraceHeaders & { correlationId: string },
    log: Logger,
    outcome: { ok: true; result: unknown } | { ok: false; error: unknown },
    span: Span,
    lastProgress?: ProcessDoc['progress'],
  ): Promise<Disposition> {
    let doc = current;
    // The handler's last progress report not yet written goes with the final write.
    const progressNow = () => lastProgress ?? doc.progress;
    if (!outcome.ok) {
      const reason = outcome.error instanceof RuntimeAbort ? outcome.error.reason : undefined;
      if (reason === 'shutdown') {
        log.info('shutting down: returning the request to the queue');
        return 'requeue';
      }
      if (isStoreFailure(outcome.error)) throw outcome.error;
    }
    for (let loop = 0; loop < MAX_RACE_LOOPS; loop++) {
      let next: ProcessDoc | null;
      let counted: string;
      if (outcome.ok) {
        if (type.validateResult && !type.validateResult(outcome.result)) {
          outcome = {
            ok: false,
            error: new HandlerError('RESULT_INVALID', 'the handler result does not match the result schema', {
              details: { errors: type.validateResult.errors ?? [] },
            }),
          };
          continue;
        }
        next = await transition(
          doc,
          'completed',
          {
            result: store.seal(outcome.result ?? null, doc, 'result'),
            progress: { percent: 100, currentStep: 'completed' },
          },
          trace,
          undefined,
          ['error'],
        );
        counted = 'completed';
      } else if (outcome.error instanceof RuntimeAbort && outcome.error.reason === 'cancelled') {
        const last = progressNow();
        next = await transition(doc, 'cancelled', last ? { progress: last } : {}, trace);
        counted = 'cancelled';
      } else {
        const error = toProcessError(outcome.error);
        if (error.code === 'HANDLER_ERROR')
          log.error({ err: outcome.error }, 'handler threw an unexpected error');
        if (error.retryable && req.attempt < type.retry.maxAttempts) {
          const delayMs = retryDelayMs(type.retry, req.attempt);
          // Publish the delayed retry before recording it: a crash in between re-runs this attempt
          // (and the retry finds it finished) instead of losing the process.
          await deps.publisher.retry({ ...req, data: req.data, attempt: req.attempt + 1 }, delayMs, trace);
          next = await transition(
            doc,
            'processing',
            {
              error,
              nextAttempt: req.attempt + 1,
              progress: {
                percent: progressNow()?.percent ?? 0,
                currentStep: `retry ${req.attempt + 1} scheduled`,
              },
            },
            trace,
            'retry scheduled',
          );
          if (next) {
            deps.metrics.retries.inc({ type: type.name });
            log.info({ code: error.code, delayMs }, 'retryable failure; retry scheduled');
            await publishState(deps, next, trace);
            return 'ack';
          }
          counted = 'none';
        } else {
          const last = progressNow();
          next = await transition(
            doc,
            'failed',
            { error, ...(last ? { progress: last } : {}) },
            trace,
            error.code,
          );
          counted = 'failed';
        }
      }
      if (!next) {
        const fresh = await store.get(doc.processId);
        if (!fresh) throw new Error(`process ${doc.processId} vanished while running`);
        doc = fresh;
        if (isTerminal(fresh.status)) {
          await publishState(deps, fresh, trace);
          return 'ack';
        }
        continue;
      }
      await publishState(deps, next, trace);
      deps.metrics.processes.inc({ type: type.name, outcome: counted });
      span.setAttribute('stargate.outcome', counted);
      log.info({ status: next.status, version: next.version }, 'process finished');
      return 'ack';
    }
    throw new Error(`process ${doc.processId}: state kept changing underneath; giving up this delivery`);
  }

  return {
    async handle(msg, type) {
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
      active += 1;
      try {
        // Active for the whole delivery, so the store's MongoDB spans and the handler span hang below it.
        return await withSpan(span, parent, () => run(type, req, trace, span));
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
        settle();
      }
    },
    cancelRunning(processId) {
      const c = running.get(processId);
      if (!c) return false;
      c.abort(new RuntimeAbort('cancelled'));
      return true;
    },
    abortAll(reason) {
      for (const c of running.values()) c.abort(new RuntimeAbort(reason));
    },
    inFlight: () => active,
    idle() {
      if (active === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
