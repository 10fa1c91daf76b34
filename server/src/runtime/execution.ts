import { isTerminal } from '@stargate/contracts';
import * as otel from '@opentelemetry/api';
import { type HandlerContext, RuntimeAbort } from '../handlers/define-handler.js';
import { startChildSpan, withSpan } from '../observability/tracing.js';
import type { ProcessDoc } from '../store/process-store.js';
import { keepLease, releaseLease } from './lease.js';
import { recordOutcome } from './outcome.js';
import { createProgressCoalescer } from './progress-coalescer.js';
import type { Delivery, Disposition, HandlerOutcome, RunnerContext } from './runner-context.js';
import { eventInfo, publishState } from './state-events.js';

/**
 * Runs the handler of a started process: its abort signal (cancel, timeout, shutdown), the
 * coalesced progress writes, the delayed `processing` event; then records the outcome.
 */
export async function execute(rc: RunnerContext, d: Delivery, initial: ProcessDoc): Promise<Disposition> {
  const owner = initial.lease?.owner;
  let disposition: Disposition | undefined;
  const ended: { reason?: string } = {};
  try {
    disposition = await run(rc, d, initial, owner, ended);
    return disposition;
  } finally {
    // A run that records no outcome (shutdown, lost channel, store failure) hands the process
    // back at once: the next delivery runs it without waiting for the lease to expire.
    if (owner && disposition !== 'ack')
      await releaseLease(rc, initial.processId, owner, d.log, ended.reason ?? disposition ?? 'error');
  }
}

async function run(
  rc: RunnerContext,
  d: Delivery,
  initial: ProcessDoc,
  owner: string | undefined,
  /** Why the handler was aborted (channel-lost, lease-lost, shutdown, ...), if it was. */
  ended: { reason?: string },
): Promise<Disposition> {
  const { deps } = rc;
  const { store } = deps;
  const { type, req, trace, log } = d;
  let doc = initial;
  const controller = new AbortController();
  rc.running.set(doc.processId, controller);
  const timer = setTimeout(() => controller.abort(new RuntimeAbort('timeout')), type.timeoutMs);
  // Its ack can no longer be given: RabbitMQ hands the request to another worker, so this run stops.
  const channelLost = () => controller.abort(new RuntimeAbort('channel-lost'));
  if (d.channel?.aborted) channelLost();
  else d.channel?.addEventListener('abort', channelLost, { once: true });
  const leaseLost = () => controller.abort(new RuntimeAbort('lease-lost'));
  const stopRenewal = owner ? keepLease(rc, doc.processId, owner, leaseLost, log) : () => undefined;
  // `processing` becomes visible (published) only if the handler is still running after a while.
  let visible: Promise<void> | undefined;
  const showProcessing = setTimeout(() => {
    visible = publishState(deps, doc, trace).catch((err: unknown) => {
      log.warn({ err: String(err), version: doc.version }, 'processing state not published; continuing');
    });
  }, rc.visibleAfterMs);
  const progress = createProgressCoalescer({
    intervalMs: rc.progressIntervalMs,
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
        else if (owner && fresh?.lease?.owner !== owner) leaseLost();
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
  let outcome: HandlerOutcome;
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
    if (controller.signal.aborted) {
      const why = controller.signal.reason;
      ended.reason = why instanceof RuntimeAbort ? why.reason : String(why);
    }
    handlerSpan.end();
    clearTimeout(timer);
    stopRenewal();
    d.channel?.removeEventListener('abort', channelLost);
    rc.running.delete(doc.processId);
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
  return recordOutcome(rc, d, doc, outcome, lastProgress);
}
