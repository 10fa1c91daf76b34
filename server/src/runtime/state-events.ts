import type { ProcessStateData } from '@stargate/contracts';
import type { Publisher, TraceHeaders } from '../broker/publisher.js';
import type { EventInfo, ProcessDoc, ProcessStore } from '../store/process-store.js';

/** The state event of `doc` as the gateway receives it. */
export function stateOf(store: ProcessStore, doc: ProcessDoc): ProcessStateData {
  return { ...store.toView(doc), tenantId: doc.tenantId };
}

/** Publishes `doc`'s state with confirm (its history entry was written with the state). */
export async function publishState(
  deps: { store: ProcessStore; publisher: Publisher },
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
