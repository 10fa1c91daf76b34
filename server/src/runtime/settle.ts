import { canTransition, isTerminal, type ProcessStatus } from '@stargate/contracts';
import type { TraceHeaders } from '../broker/publisher.js';
import type { ProcessDoc } from '../store/process-store.js';
import type { Delivery, RunnerDeps } from './runner-context.js';
import { eventInfo, publishState } from './state-events.js';

/** A state change the runner records: the new status, what changes with it, its history note. */
export interface Change {
  status: ProcessStatus;
  set?: Partial<ProcessDoc>;
  note?: string | undefined;
  unset?: (keyof ProcessDoc)[];
}

/**
 * Writes `change` if `doc` is still the stored version; null when another writer won the race
 * (or the process is already final), so the caller re-reads and decides again.
 */
export async function transition(
  deps: Pick<RunnerDeps, 'store' | 'actor'>,
  doc: ProcessDoc,
  change: Change,
  trace: TraceHeaders,
): Promise<ProcessDoc | null> {
  const { status, set = {}, note, unset = [] } = change;
  // A terminal state is final (only a retry may reopen a failure): when another delivery of
  // the same process finished it first, this late outcome is dropped and the recorded one wins.
  if (isTerminal(doc.status) && !canTransition(doc.status, status)) return null;
  const terminal = isTerminal(status);
  return deps.store.update(
    doc.processId,
    doc.version,
    { ...set, status, ...(terminal ? { completedAt: new Date() } : {}) },
    eventInfo(deps.actor, trace, note),
    // A final state ends every run: no retry pending, no lease held.
    terminal ? [...unset, 'nextAttempt', 'lease'] : unset,
  );
}

/**
 * The one way a delivery ends with a recorded state: transition → race check → publish the
 * recorded state → count it. Returns the written document, or null when the race was lost (the
 * caller re-reads and decides again); the caller then acknowledges the delivery.
 */
export async function settle(
  deps: RunnerDeps,
  delivery: Pick<Delivery, 'type' | 'trace'>,
  doc: ProcessDoc,
  change: Change,
  /** The `outcome` label of the processes counter; none for a state that is no outcome. */
  counted?: string,
): Promise<ProcessDoc | null> {
  const next = await transition(deps, doc, change, delivery.trace);
  if (!next) return null;
  await publishState(deps, next, delivery.trace);
  if (counted) deps.metrics.processes.inc({ type: delivery.type.name, outcome: counted });
  return next;
}
