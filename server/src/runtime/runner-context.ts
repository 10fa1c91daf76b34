import type { ProcessRequestedData } from '@stargate/contracts';
import type { Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Publisher, TraceHeaders } from '../broker/publisher.js';
import type { ProcessTypeRuntime } from '../config/process-types.js';
import type { ServerMetrics } from '../observability/metrics.js';
import type { ProcessStore } from '../store/process-store.js';

/** What the consumer does with the delivery once the runner is done with it. */
export type Disposition = 'ack' | 'requeue' | 'dead-letter';

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
  /** `processing` is published only when the handler is running longer than this (default PROCESSING_VISIBLE_AFTER_MS). */
  processingVisibleAfterMs?: number;
  /** Names this worker instance in the leases it takes (default: the actor and a random suffix). */
  instanceId?: string;
  /** How long a run owns its process unless renewed (default LEASE_MS). */
  leaseMs?: number;
}

export const MAX_RACE_LOOPS = 5;
export const PROGRESS_INTERVAL_MS = 250;
/**
 * A handler that finishes sooner goes from `accepted` straight to its terminal state for the
 * outside world: no client could have seen `processing` in between, so it is not published
 * (it is recorded in the history all the same).
 */
export const PROCESSING_VISIBLE_AFTER_MS = 100;

/** What the runner shares between the deliveries it handles. */
export interface RunnerContext {
  deps: RunnerDeps;
  /** The abort controller of every handler running here, by process id. */
  running: Map<string, AbortController>;
  progressIntervalMs: number;
  visibleAfterMs: number;
  instanceId: string;
  leaseMs: number;
  /** Runs started here (each lease owner is `instanceId#run`). */
  runs: number;
}

/** One delivery of a request, parsed, with what every step of it logs and traces under. */
export interface Delivery {
  type: ProcessTypeRuntime;
  req: ProcessRequestedData;
  trace: TraceHeaders & { correlationId: string };
  log: Logger;
  span: Span;
  /** Aborted when the channel the delivery came on is lost (its ack can no longer be given). */
  channel?: AbortSignal | undefined;
}

/** How the handler's run ended. */
export type HandlerOutcome = { ok: true; result: unknown } | { ok: false; error: unknown };

export function giveUp(processId: string): Error {
  return new Error(`process ${processId}: state kept changing underneath; giving up this delivery`);
}
