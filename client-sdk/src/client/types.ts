import type { Meter } from '@opentelemetry/api';
import type { ProcessStatus, ProcessStatusBody } from '@stargate/contracts';
import type { BackoffOptions } from '../backoff/backoff.js';
import type { Clock } from '../clock.js';
import type { FetchLike } from '../http/http-client.js';
import type { AlertEvent, WarningEvent } from '../events.js';
import type { Logger } from '../logger.js';

export type { AlertEvent, ResultHandler, WarningEvent } from '../events.js';

export interface ClientOptions {
  /**
   * Gateway base URL, e.g. https://stargate.example.com. Plain `http://` is refused unless the
   * host is loopback (127.0.0.0/8, ::1, localhost) or `allowInsecureHttp` is set.
   */
  baseUrl: string;
  /**
   * Accept a plain `http://` baseUrl to a non-loopback host (the client secret, tokens and
   * payloads then travel unencrypted). Only for trusted networks, e.g. inside a cluster. Default false.
   */
  allowInsecureHttp?: boolean;
  clientId: string;
  clientSecret: string;
  /** SQLite file of the offline queue and result store (created if missing). `:memory:` for throwaway use. */
  databasePath: string;
  /** Requested OAuth scope (space-separated); default: all the client is allowed. */
  scope?: string;
  logger?: Logger;
  meter?: Meter;
  clock?: Clock;
  fetch?: FetchLike;
  /** Deadline of every plain HTTP call (ms). Default 30 s. */
  requestTimeoutMs?: number;
  /** `Prefer: wait=N` seconds for long polls; 0 disables long polling. Default 30. */
  longPollSeconds?: number;
  backoff?: BackoffOptions;
  /** Finished work (consumed results, done processes, sent entries) is removed after this many days. Default 7. */
  retentionDays?: number;
  /** Flush the queue and resume polling of tracked processes at once. Default true. */
  autoStart?: boolean;
}

/** Where a submission stands locally: queued (not yet accepted), rejected (4xx), or a gateway status. */
export type HandleStatus = ProcessStatus | 'queued' | 'rejected';

export interface SubmitOptions {
  clientProcessId?: string;
  /** Reuse a key you generated and stored yourself; default: a fresh UUID written before the first send. */
  idempotencyKey?: string;
}

export interface PollOptions {
  signal?: AbortSignal;
  onProgress?: (view: ProcessStatusBody) => void;
}

/** What `serialize()` returns and `client.resume()` takes to carry on after a restart. */
export interface HandleState {
  idempotencyKey?: string;
  processId?: string;
  processType: string;
  clientProcessId?: string;
}

export interface ProcessHandle {
  readonly idempotencyKey: string | undefined;
  readonly processType: string;
  readonly clientProcessId: string | undefined;
  /** Undefined while the submission waits in the offline queue. */
  readonly processId: string | undefined;
  readonly status: HandleStatus;
  readonly view: ProcessStatusBody | undefined;
  /** Resolves with the completed view; rejects with ProcessFailedError (failed/cancelled) or ProblemError (rejected). */
  pollUntilDone(options?: PollOptions): Promise<ProcessStatusBody>;
  cancel(): Promise<ProcessStatusBody>;
  serialize(): string;
}

export interface ListFilter {
  status?: ProcessStatus;
  processType?: string;
  limit?: number;
  cursor?: string;
}

export interface ClientEvents {
  accepted: [ProcessStatusBody];
  progress: [ProcessStatusBody];
  completed: [ProcessStatusBody];
  failed: [ProcessStatusBody];
  warning: [WarningEvent];
  alert: [AlertEvent];
  offline: [{ error: string }];
  online: [];
}
