import type { Logger } from 'pino';
import type { ProcessDoc, ProcessLease } from '../store/process-store.js';
import type { Delivery, RunnerContext } from './runner-context.js';

/** How long a run owns its process unless renewed (renewed every third of it while the handler runs). */
export const LEASE_MS = 30_000;
/** Bounds of the wait before a delivery deferred to a live lease is looked at again. */
const DEFER_MIN_MS = 250;
const DEFER_MAX_MS = 5_000;
/** Retries of a release that failed (the store was unreachable when the run ended). */
const RELEASE_RETRY_MS = [200, 1_000, 5_000];

/** A fresh lease of one run: its owner names this worker instance and the run. */
export function newLease(rc: RunnerContext): ProcessLease {
  rc.runs += 1;
  return { owner: `${rc.instanceId}#${rc.runs}`, expiresAt: new Date(Date.now() + rc.leaseMs) };
}

/** Whether `owner` is a run of this worker instance. */
function ownRun(rc: RunnerContext, owner: string): boolean {
  return owner.startsWith(`${rc.instanceId}#`);
}

export type LeaseState =
  /** Another run holds the process: do not run the handler now. */
  | { kind: 'live'; expiresAt: Date }
  /** Free to claim; `failedRuns` counts the expired lease found, if any. */
  | { kind: 'free'; failedRuns: number };

/**
 * What a delivery finds on the process. An expired lease of another worker is a run that ended
 * without an outcome and without releasing (that worker died or stalled): a real failure,
 * counted. No lease (released by a shutdown, a lost channel, a finished run) or a lease this
 * instance could not release (the store was unreachable) counts nothing.
 */
export function leaseState(rc: RunnerContext, doc: ProcessDoc, now = Date.now()): LeaseState {
  const failedRuns = doc.failedRuns ?? 0;
  const lease = doc.lease;
  if (!lease) return { kind: 'free', failedRuns };
  if (rc.running.has(doc.processId)) return { kind: 'live', expiresAt: lease.expiresAt };
  if (ownRun(rc, lease.owner)) return { kind: 'free', failedRuns };
  if (new Date(lease.expiresAt).getTime() > now) return { kind: 'live', expiresAt: lease.expiresAt };
  return { kind: 'free', failedRuns: failedRuns + 1 };
}

/**
 * Leaves the process to the run that holds it: this delivery comes back through the type's
 * delay queue (a new message, so it does not count towards the broker's delivery limit) and
 * then finds it finished, or its lease released or expired.
 */
export async function deferToOwner(rc: RunnerContext, d: Delivery, expiresAt: Date): Promise<void> {
  const remaining = new Date(expiresAt).getTime() - Date.now() + 100;
  const delayMs = Math.min(DEFER_MAX_MS, Math.max(DEFER_MIN_MS, remaining));
  d.log.info({ delayMs }, 'process runs elsewhere (live lease); looking again later');
  await rc.deps.publisher.retry(d.req, delayMs, d.trace);
}

/** Renews `owner`'s lease while the handler runs; `lost()` when another run holds it now. Returns the stop. */
export function keepLease(
  rc: RunnerContext,
  processId: string,
  owner: string,
  lost: () => void,
  log: Logger,
): () => void {
  const timer = setInterval(
    () => {
      rc.deps.store.renewLease(processId, owner, new Date(Date.now() + rc.leaseMs)).then(
        (held) => {
          if (!held) lost();
        },
        (err: unknown) => log.warn({ err: String(err) }, 'lease not renewed; trying again'),
      );
    },
    Math.max(10, Math.floor(rc.leaseMs / 3)),
  );
  return () => clearInterval(timer);
}

/**
 * Releases the lease of a run that ended without an outcome (shutdown, lost channel, store
 * failure), so the next delivery runs at once and counts no failure. A release the store
 * refuses now is retried a few times in the background.
 */
export function releaseLease(
  rc: RunnerContext,
  processId: string,
  owner: string,
  log: Logger,
  /** Why the run ended without an outcome (recorded on the process, `releasedRuns`). */
  reason = 'no outcome',
): Promise<void> {
  const released = { actor: rc.deps.actor, reason };
  const attempt = (i: number): Promise<void> =>
    rc.deps.store.releaseLease(processId, owner, released).catch(async (err: unknown) => {
      const wait = RELEASE_RETRY_MS[i];
      if (wait === undefined) {
        log.warn({ err: String(err) }, 'lease not released; it expires by itself');
        return;
      }
      await new Promise((r) => setTimeout(r, wait));
      return attempt(i + 1);
    });
  const first = rc.deps.store.releaseLease(processId, owner, released);
  return first.catch(() => {
    void attempt(0);
  });
}
