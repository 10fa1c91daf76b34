import type { ProcessListBody, ProcessStatusBody, ProcessTypeInfo } from '@stargate/contracts';
import type { AlertEvent, ResultHandler, WarningEvent } from '../events.js';
import type { OutboxEntry, TrackedProcess } from '../outbox/store.js';
import type { HandleState, ListFilter, ProcessHandle, SubmitOptions } from './types.js';

/**
 * The StarGate client `createClient` returns: submissions go through a durable local outbox,
 * processes are polled until they finish (also across restarts), and results are stored and
 * delivered to the handlers registered with `onCompleted` / `onFailed`.
 */
export interface StarGateClient {
  /**
   * Writes the submission to the local outbox, then sends it; resolves once the gateway
   * accepted it or, when the gateway is unreachable, once it is queued for a later send.
   * Rejects with `ProblemError` when the gateway refuses it permanently.
   */
  submit(processType: string, data: unknown, options?: SubmitOptions): Promise<ProcessHandle>;
  /** Carries on with a handle from `serialize()` (or a known process id) after a restart. */
  resume(state: string | HandleState): ProcessHandle;
  /** The current status of a process, read from the gateway. */
  get(processId: string): Promise<ProcessStatusBody>;
  /** One page of this client's processes, filtered; pass `cursor` for the next page. */
  list(filter?: ListFilter): Promise<ProcessListBody>;
  /** The process types this client may use, with their polling hints. */
  processTypes(): Promise<ProcessTypeInfo[]>;
  /** Asks the gateway to cancel a process; resolves with its status after the request. */
  cancel(processId: string): Promise<ProcessStatusBody>;
  /** Retries a retryable failure (POST …/retry) and tracks the process again until its new outcome. */
  retry(processId: string): Promise<ProcessStatusBody>;
  /** Registers the handler of completed processes of a type; returns a function that removes it. */
  onCompleted(processType: string, handler: ResultHandler): () => void;
  /** Registers the handler of failed and cancelled processes of a type; returns a function that removes it. */
  onFailed(processType: string, handler: ResultHandler): () => void;
  /** The gateway accepted a submission (with its process id). */
  on(event: 'accepted', listener: (view: ProcessStatusBody) => void): StarGateClient;
  /** A tracked process reported a new status while being polled. */
  on(event: 'progress', listener: (view: ProcessStatusBody) => void): StarGateClient;
  /** A tracked process completed. */
  on(event: 'completed', listener: (view: ProcessStatusBody) => void): StarGateClient;
  /** A tracked process failed or was cancelled. */
  on(event: 'failed', listener: (view: ProcessStatusBody) => void): StarGateClient;
  /** A process has been running longer than its type's warning threshold. */
  on(event: 'warning', listener: (event: WarningEvent) => void): StarGateClient;
  /** Sending, polling or delivering kept failing until its retries ran out; the work is kept. */
  on(event: 'alert', listener: (event: AlertEvent) => void): StarGateClient;
  /** The gateway became unreachable; submissions stay queued. */
  on(event: 'offline', listener: (event: { error: string }) => void): StarGateClient;
  /** The gateway is reachable again. */
  on(event: 'online', listener: () => void): StarGateClient;
  /** Removes an `accepted` listener. */
  off(event: 'accepted', listener: (view: ProcessStatusBody) => void): StarGateClient;
  /** Removes a `progress` listener. */
  off(event: 'progress', listener: (view: ProcessStatusBody) => void): StarGateClient;
  /** Removes a `completed` listener. */
  off(event: 'completed', listener: (view: ProcessStatusBody) => void): StarGateClient;
  /** Removes a `failed` listener. */
  off(event: 'failed', listener: (view: ProcessStatusBody) => void): StarGateClient;
  /** Removes a `warning` listener. */
  off(event: 'warning', listener: (event: WarningEvent) => void): StarGateClient;
  /** Removes an `alert` listener. */
  off(event: 'alert', listener: (event: AlertEvent) => void): StarGateClient;
  /** Removes an `offline` listener. */
  off(event: 'offline', listener: (event: { error: string }) => void): StarGateClient;
  /** Removes an `online` listener. */
  off(event: 'online', listener: () => void): StarGateClient;
  /** Entries of the offline queue not yet accepted, oldest first. */
  queue(): OutboxEntry[];
  /** Sends the queue now; resolves after one pass (emptied, or stopped at a transient failure). */
  flush(): Promise<{ remaining: number }>;
  /** Drops every submission still queued (never sent successfully); returns how many. */
  purgeQueue(): number;
  /** Tracked processes still polled, oldest first. */
  tracked(): TrackedProcess[];
  /** Flushes the queue, resumes polling of tracked processes and delivers pending results (automatic unless `autoStart: false`). */
  start(): void;
  /** True while the gateway is unreachable (between the `offline` and `online` events). */
  readonly isOffline: boolean;
  /** Stops sending, polling and delivering, waits for work in flight, and closes the local store. */
  close(): Promise<void>;
}
