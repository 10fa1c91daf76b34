import type { ProcessStatus } from './states.js';

/** A failure as handlers report it and clients see it. */
export interface ProcessError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  retryable: boolean;
}

export interface ProcessProgress {
  percent: number;
  currentStep?: string;
}

/**
 * The status body of `GET /api/stargate/processes/{id}` (and the 202 seed, a subset of it).
 * `version` increases with every state change; nobody applies an older one over a newer one.
 */
export interface ProcessView {
  processId: string;
  clientProcessId?: string;
  processType: string;
  status: ProcessStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
  statusUrl?: string;
  estimatedCompletionTime?: string;
  progress?: ProcessProgress;
  result?: unknown;
  error?: ProcessError;
  attempts?: number;
  completedAt?: string;
}

/** The 202 body of `POST /api/stargate/processes`. */
export interface SubmitAccepted {
  processId: string;
  clientProcessId?: string;
  processType: string;
  status: 'accepted';
  statusUrl: string;
  createdAt: string;
  estimatedCompletionTime?: string;
}

/** The request body of `POST /api/stargate/processes`. */
export interface SubmitRequest {
  processType: string;
  clientProcessId?: string;
  idempotencyKey?: string;
  data: unknown;
}

export interface ProcessPage {
  items: ProcessView[];
  nextCursor?: string;
}

/** Polling hints of a process type (seconds). Defaults are the seed's schedule. */
export interface PollingHints {
  firstPollSeconds: number;
  fastIntervalSeconds: number;
  fastPhaseSeconds: number;
  slowIntervalSeconds: number;
  maxTimeoutSeconds: number;
}

export const DEFAULT_POLLING_HINTS: Readonly<PollingHints> = Object.freeze({
  firstPollSeconds: 0,
  fastIntervalSeconds: 30,
  fastPhaseSeconds: 120,
  slowIntervalSeconds: 60,
  maxTimeoutSeconds: 600,
});

/** One entry of `GET /api/stargate/process-types`. */
export interface ProcessTypeInfo {
  name: string;
  description?: string;
  operations: string[];
  requestSchema: Record<string, unknown>;
  resultSchema?: Record<string, unknown>;
  polling: PollingHints;
  maxPayloadBytes: number;
}
