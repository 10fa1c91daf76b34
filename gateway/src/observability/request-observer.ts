import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from './metrics.js';

/** Processes whose polls are remembered (last answer, failure streak); the oldest is forgotten first. */
const MAX_TRACKED = 10_000;
/** A process not polled for this long is forgotten (and its failure streak series removed). */
const FORGET_AFTER_MS = 30 * 60_000;
/** A long-poll held this close to its full wait counts as expired (nothing changed). */
const EXPIRY_SLACK_MS = 50;

interface Tracked {
  tenant: string;
  processId: string;
  touchedAt: number;
  failures: number;
  /** When the last successful answer went out, and the Retry-After it gave (non-terminal only). */
  answeredAt?: number;
  retryAfterSeconds?: number;
}

export type PollResult = 'answered' | 'failed' | 'expired' | 'rejected';

/**
 * Counts every answered request (route, method, status, tenant, duration) and follows status
 * polls per process: the result of each poll, failure streaks (5xx in a row for one process,
 * exported only while a streak lasts, so the series stay few), and clients that poll sooner than
 * the schedule the gateway gave them. State is per gateway and bounded.
 */
export function createRequestObserver(metrics: Metrics, now: () => number) {
  const tracked = new Map<string, Tracked>();

  function forget(key: string, t: Tracked): void {
    tracked.delete(key);
    if (t.failures > 0) metrics.pollConsecutiveFailures.remove({ tenant: t.tenant, process_id: t.processId });
  }

  function sweep(at: number): void {
    for (const [key, t] of tracked) {
      if (tracked.size <= MAX_TRACKED && at - t.touchedAt < FORGET_AFTER_MS) break;
      forget(key, t);
    }
  }

  function observePoll(
    tenant: string,
    processId: string,
    status: number,
    retryAfter: number | undefined,
    longPoll: { waitSeconds: number; heldMs: number } | undefined,
  ): PollResult {
    const at = now();
    const key = `${tenant}\u0000${processId}`;
    const t = tracked.get(key) ?? { tenant, processId, touchedAt: at, failures: 0 };
    tracked.delete(key);
    t.touchedAt = at;
    tracked.set(key, t);

    let result: PollResult;
    if (status >= 500) result = 'failed';
    else if (status >= 400) result = 'rejected';
    else if (longPoll && longPoll.heldMs >= longPoll.waitSeconds * 1000 - EXPIRY_SLACK_MS) result = 'expired';
    else result = 'answered';
    metrics.polls.inc({ tenant, kind: longPoll ? 'long_poll' : 'status', result });

    if (result === 'failed') {
      t.failures += 1;
      metrics.pollConsecutiveFailures.set({ tenant, process_id: processId }, t.failures);
    } else if (result !== 'rejected') {
      if (t.failures > 0) metrics.pollConsecutiveFailures.remove({ tenant, process_id: processId });
      t.failures = 0;
      if (
        !longPoll &&
        t.answeredAt !== undefined &&
        t.retryAfterSeconds !== undefined &&
        at - t.answeredAt < (t.retryAfterSeconds * 1000) / 2
      )
        metrics.pollsEarly.inc({ tenant });
      t.answeredAt = at;
      t.retryAfterSeconds = retryAfter;
    }
    sweep(at);
    return result;
  }

  return {
    /** Called once per answered request (the onResponse hook). */
    observe(request: FastifyRequest, reply: FastifyReply): void {
      const route = request.routeOptions.url ?? 'unmatched';
      const tenant = request.principal?.tenant.id ?? '';
      const status = reply.statusCode;
      const heldMs = Number(process.hrtime.bigint() - request.startedAt) / 1e6;
      metrics.requests.inc({ route, method: request.method, status: String(status), tenant });
      const info = request.auditInfo;
      const applied = /^wait=(\d+)$/.exec(String(reply.getHeader('preference-applied') ?? ''));
      const longPoll = applied ? { waitSeconds: Number(applied[1]), heldMs } : undefined;
      if (info?.action === 'status' && info.processId) {
        const retryAfter = Number(reply.getHeader('retry-after'));
        const result = observePoll(
          tenant,
          info.processId,
          status,
          Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
          longPoll,
        );
        if (longPoll) metrics.longPollDuration.observe({ result }, heldMs / 1000);
      }
      // A long-poll lasts as long as the client asked: it would drown the latency the alerts watch.
      if (!longPoll)
        metrics.requestDuration.observe({ route, method: request.method, tenant }, heldMs / 1000);
    },
    /** Processes currently remembered (for tests). */
    trackedCount: () => tracked.size,
  };
}

export type RequestObserver = ReturnType<typeof createRequestObserver>;
