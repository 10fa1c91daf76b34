import { isTerminal, type ProcessError } from '@stargate/contracts';
import { MongoError } from 'mongodb';
import { HandlerError, RuntimeAbort } from '../handlers/define-handler.js';
import type { ProcessDoc } from '../store/process-store.js';
import { retryDelayMs } from './backoff.js';
import {
  type Delivery,
  type Disposition,
  giveUp,
  type HandlerOutcome,
  MAX_RACE_LOOPS,
  type RunnerContext,
} from './runner-context.js';
import { type Change, settle } from './settle.js';
import { publishState } from './state-events.js';

export function toProcessError(err: unknown): ProcessError {
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

/** A result that does not match the type's result schema is the handler's failure. */
function checkedResult(d: Delivery, outcome: HandlerOutcome): HandlerOutcome {
  const { validateResult } = d.type;
  if (!outcome.ok || !validateResult || validateResult(outcome.result)) return outcome;
  return {
    ok: false,
    error: new HandlerError('RESULT_INVALID', 'the handler result does not match the result schema', {
      details: { errors: validateResult.errors ?? [] },
    }),
  };
}

/**
 * Records how the handler ended: completed, cancelled, failed, or a retry scheduled (published
 * before it is recorded: a crash in between re-runs this attempt, and the retry finds it
 * finished, instead of losing the process). A shutdown or a store failure records nothing: the
 * delivery goes back to the queue.
 */
export async function recordOutcome(
  rc: RunnerContext,
  d: Delivery,
  current: ProcessDoc,
  ran: HandlerOutcome,
  lastProgress?: ProcessDoc['progress'],
): Promise<Disposition> {
  const { deps } = rc;
  const { type, req, trace, log, span } = d;
  if (!ran.ok) {
    const reason = ran.error instanceof RuntimeAbort ? ran.error.reason : undefined;
    if (reason === 'shutdown') {
      log.info('shutting down: returning the request to the queue');
      return 'requeue';
    }
    if (reason === 'channel-lost' || reason === 'lease-lost') {
      // Nothing is recorded: the run that holds the process now (or the redelivery) decides.
      log.warn({ reason }, 'handler aborted: this worker no longer owns the run');
      return 'requeue';
    }
    if (isStoreFailure(ran.error)) throw ran.error;
  }
  const outcome = checkedResult(d, ran);
  let doc = current;
  for (let loop = 0; loop < MAX_RACE_LOOPS; loop++) {
    // The handler's last progress report not yet written goes with the final write.
    const last = lastProgress ?? doc.progress;
    let change: Change;
    let counted: string | undefined;
    let error: ProcessError | undefined;
    if (outcome.ok) {
      change = {
        status: 'completed',
        set: {
          result: deps.store.seal(outcome.result ?? null, doc, 'result'),
          progress: { percent: 100, currentStep: 'completed' },
        },
        unset: ['error'],
      };
      counted = 'completed';
    } else if (outcome.error instanceof RuntimeAbort && outcome.error.reason === 'cancelled') {
      change = { status: 'cancelled', set: last ? { progress: last } : {} };
      counted = 'cancelled';
    } else {
      error = toProcessError(outcome.error);
      if (error.code === 'HANDLER_ERROR' && loop === 0)
        log.error({ err: outcome.error }, 'handler threw an unexpected error');
      if (error.retryable && req.attempt < type.retry.maxAttempts) {
        const delayMs = retryDelayMs(type.retry, req.attempt);
        await deps.publisher.retry({ ...req, data: req.data, attempt: req.attempt + 1 }, delayMs, trace);
        const scheduled = await settle(deps, d, doc, {
          status: 'processing',
          set: {
            error,
            nextAttempt: req.attempt + 1,
            progress: { percent: last?.percent ?? 0, currentStep: `retry ${req.attempt + 1} scheduled` },
          },
          note: 'retry scheduled',
          unset: ['lease'],
        });
        if (scheduled) {
          deps.metrics.retries.inc({ type: type.name });
          log.info({ code: error.code, delayMs }, 'retryable failure; retry scheduled');
          return 'ack';
        }
        const reread = await rereadAfterRace(rc, d, doc);
        if (reread === 'ack') return 'ack';
        doc = reread;
        continue;
      }
      change = { status: 'failed', set: { error, ...(last ? { progress: last } : {}) }, note: error.code };
      counted = 'failed';
    }
    const next = await settle(deps, d, doc, change, counted);
    if (!next) {
      const reread = await rereadAfterRace(rc, d, doc);
      if (reread === 'ack') return 'ack';
      doc = reread;
      continue;
    }
    span.setAttribute('stargate.outcome', counted);
    log.info({ status: next.status, version: next.version }, 'process finished');
    return 'ack';
  }
  throw giveUp(doc.processId);
}

/** After a lost race: a process another writer finished is republished and acked; else decide again. */
async function rereadAfterRace(rc: RunnerContext, d: Delivery, doc: ProcessDoc): Promise<ProcessDoc | 'ack'> {
  const fresh = await rc.deps.store.get(doc.processId);
  if (!fresh) throw new Error(`process ${doc.processId} vanished while running`);
  if (isTerminal(fresh.status)) {
    await publishState(rc.deps, fresh, d.trace);
    return 'ack';
  }
  return fresh;
}
