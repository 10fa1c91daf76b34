import type { SubmitAcceptedBody, SubmitRequestBody } from './api/wire-types.js';
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
 * The internal state of a process, as the server records and publishes it and the gateway
 * caches it. Clients never see it directly: `presentStatus` (api/present.ts) maps it to the
 * public status body. `version` increases with every state change; nobody applies an older
 * one over a newer one.
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

/** The 202 body of `POST /api/stargate/processes` (the public contract, see api/wire-schemas.ts). */
export type SubmitAccepted = SubmitAcceptedBody;

/** The request body of `POST /api/stargate/processes`. */
export type SubmitRequest = SubmitRequestBody;

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
