import {
  DEFAULT_DELIVERY_LIMIT,
  isTerminal,
  type ProcessError,
  type ProcessRequestedData,
} from '@stargate/contracts';
import type { ProcessTypeRuntime } from '../config/process-types.js';
import type { ProcessDoc } from '../store/process-store.js';
import { execute } from './execution.js';
import { deferToOwner, leaseState, newLease } from './lease.js';
import {
  type Delivery,
  type Disposition,
  giveUp,
  MAX_RACE_LOOPS,
  type RunnerContext,
} from './runner-context.js';
import { settle, transition } from './settle.js';
import { eventInfo, publishState } from './state-events.js';

/**
 * Creates the record already started (or already failed, for invalid data), which saves a
 * write per process; or finds the existing one (a redelivery, a retry or a cancel placeholder).
 */
async function recordOf(
  rc: RunnerContext,
  req: ProcessRequestedData,
  correlationId: string,
  invalid: ProcessError | undefined,
): Promise<{ doc: ProcessDoc; created: boolean } | 'conflict'> {
  const { store, actor } = rc.deps;
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
        : {
            status: 'processing' as const,
            progress: { percent: 0, currentStep: 'started' },
            // Created already started: by this run, which holds it.
            lease: newLease(rc),
          }),
      payloadHash: req.payloadHash,
      data: store.seal(req.data, req, 'data'),
      attempts: req.attempt,
      correlationId,
      submittedAt: req.submittedAt,
      createdAt: new Date(req.submittedAt).getTime() ? new Date(req.submittedAt) : now,
      updatedAt: now,
    },
    eventInfo(actor, { correlationId }, invalid?.code),
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

/** The failure of a process whose runs keep ending without an outcome (a poison request). */
function tooManyFailedRuns(req: ProcessRequestedData, failedRuns: number): ProcessError {
  return {
    code: 'DELIVERY_LIMIT_EXCEEDED',
    message: 'the request failed to be processed on every delivery: its runs ended without an outcome',
    details: { attempt: req.attempt, failedRuns },
    retryable: false,
  };
}

/** Tells the gateway that the idempotency key already names another process. */
async function rejectDuplicateKey(rc: RunnerContext, d: Delivery): Promise<void> {
  const { req } = d;
  await rc.deps.publisher.state(
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
    d.trace,
  );
}

/**
 * Decides what one delivery of a request does: run the handler (a new process, a redelivery
 * of an unfinished one, a retry), or finish it without running (invalid data, cancelled before
 * start, already finished, a stale attempt, another tenant's process).
 */
export async function admit(rc: RunnerContext, d: Delivery): Promise<Disposition> {
  const { deps } = rc;
  const { type, req, trace, log } = d;
  const invalid = invalidRequest(type, req.data);
  for (let loop = 0; loop < MAX_RACE_LOOPS; loop++) {
    const found = await recordOf(rc, req, trace.correlationId, invalid);
    if (found === 'conflict') {
      // The idempotency key already names another process (the gateway lost its record of it).
      log.warn('idempotency key already used by another process; rejecting this one');
      await rejectDuplicateKey(rc, d);
      return 'ack';
    }
    const doc = found.doc;
    if (found.created) {
      if (invalid) {
        await publishState(deps, doc, trace);
        deps.metrics.processes.inc({ type: type.name, outcome: 'failed' });
        return 'ack';
      }
      return execute(rc, d, doc);
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
      const filled = await settle(
        deps,
        d,
        doc,
        {
          status: 'cancelled',
          set: {
            processType: req.processType,
            clientId: req.clientId,
            ...(req.clientProcessId !== undefined ? { clientProcessId: req.clientProcessId } : {}),
            payloadHash: req.payloadHash,
            data: deps.store.seal(req.data, req, 'data'),
          },
          note: 'cancelled before start',
        },
        'cancelled',
      );
      if (!filled) continue;
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
      const cancelled = await settle(
        deps,
        d,
        doc,
        { status: 'cancelled', note: 'cancelled before start' },
        'cancelled',
      );
      if (!cancelled) continue;
      return 'ack';
    }
    if (invalid) {
      const failed = await settle(
        deps,
        d,
        doc,
        { status: 'failed', set: { attempts: req.attempt, error: invalid } },
        'failed',
      );
      if (!failed) continue;
      return 'ack';
    }
    const lease = leaseState(rc, doc);
    if (lease.kind === 'live') {
      await deferToOwner(rc, d, lease.expiresAt);
      return 'ack';
    }
    const limit = type.queue.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT;
    if (lease.failedRuns >= limit) {
      log.error({ failedRuns: lease.failedRuns }, 'runs keep ending without an outcome; failing the process');
      const failed = await settle(
        deps,
        d,
        doc,
        {
          status: 'failed',
          set: { failedRuns: lease.failedRuns, error: tooManyFailedRuns(req, lease.failedRuns) },
          note: 'DELIVERY_LIMIT_EXCEEDED',
        },
        'failed',
      );
      if (!failed) continue;
      return 'ack';
    }
    const started = await settleStart(rc, d, doc, lease.failedRuns);
    if (!started) continue;
    return execute(rc, d, started);
  }
  throw giveUp(req.processId);
}

/** Records that this delivery runs the handler (again): the start of its attempt. */
function settleStart(
  rc: RunnerContext,
  d: Delivery,
  doc: ProcessDoc,
  failedRuns: number,
): Promise<ProcessDoc | null> {
  const { req, trace } = d;
  return transition(
    rc.deps,
    doc,
    {
      status: 'processing',
      set: {
        attempts: req.attempt,
        progress: { percent: 0, currentStep: 'started' },
        // Claimed under the version guard: of concurrent deliveries, one run wins the lease.
        lease: newLease(rc),
        ...(failedRuns > (doc.failedRuns ?? 0) ? { failedRuns } : {}),
      },
      note:
        failedRuns > (doc.failedRuns ?? 0)
          ? `run ${failedRuns} ended without an outcome; running again`
          : req.attempt > 1
            ? `attempt ${req.attempt}`
            : undefined,
      unset: ['nextAttempt', 'error'],
    },
    trace,
  );
}
