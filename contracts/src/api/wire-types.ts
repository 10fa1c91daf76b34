/**
 * The wire types of the public bodies. They are written out (so the SDK's published
 * declarations need nothing but TypeScript), and `wire-types.test.ts` proves at compile time
 * that each is what json-schema-to-ts derives from the schema in `wire-schemas.ts` (the status
 * union is stricter: it also keeps the schema's `not` rules), so a schema change that the types
 * do not follow fails the build.
 */
import type { ProcessStatus } from '../states.js';

/** Body of `POST /api/stargate/processes`. */
export interface SubmitRequestBody {
  clientProcessId: string;
  processType: string;
  data: unknown;
  idempotencyKey?: string;
  [extension: string]: unknown;
}

/** 202 body of `POST /api/stargate/processes`. */
export interface SubmitAcceptedBody {
  processId: string;
  clientProcessId: string;
  processType: string;
  status: 'accepted';
  /** Relative: `/api/stargate/processes/{processId}`. */
  statusUrl: string;
  createdAt: string;
  estimatedCompletionTime: string;
  [extension: string]: unknown;
}

/** `error` of a failed (or cancelled) process. */
export interface ProcessErrorBody {
  code: string;
  message: string;
  details?: { [key: string]: unknown };
  retryable?: boolean;
  [extension: string]: unknown;
}

/** The fields every status body has. */
export interface ProcessStatusCommon {
  processId: string;
  clientProcessId?: string;
  processType: string;
  /** Percent done, 0–100. */
  progress: number;
  currentStep?: string;
  createdAt: string;
  updatedAt: string;
  estimatedCompletionTime: string;
  statusUrl: string;
  version: number;
  attempts?: number;
  [extension: string]: unknown;
}

export interface RunningStatusBody extends ProcessStatusCommon {
  status: 'accepted' | 'processing';
  result: null;
  error?: never;
  completedAt?: never;
  failedAt?: never;
  cancelledAt?: string;
  retryable?: boolean;
}

export interface CompletedStatusBody extends ProcessStatusCommon {
  status: 'completed';
  progress: 100;
  result: unknown;
  completedAt: string;
  error?: never;
  failedAt?: never;
  cancelledAt?: string;
  retryable?: boolean;
}

export interface FailedStatusBody extends ProcessStatusCommon {
  status: 'failed';
  error: ProcessErrorBody;
  failedAt: string;
  retryable: boolean;
  result?: never;
  completedAt?: never;
  cancelledAt?: string;
}

export interface CancelledStatusBody extends ProcessStatusCommon {
  status: 'cancelled';
  cancelledAt: string;
  result?: unknown;
  error?: ProcessErrorBody;
  completedAt?: never;
  failedAt?: never;
  retryable?: boolean;
}

/** Body of `GET /api/stargate/processes/{processId}`; which fields are there depends on `status`. */
export type ProcessStatusBody =
  | RunningStatusBody
  | CompletedStatusBody
  | FailedStatusBody
  | CancelledStatusBody;

/** 202 body of `/cancel` and `/retry`. */
export interface CommandAcceptedBody {
  processId: string;
  command: 'cancel' | 'retry';
  status: ProcessStatus;
  statusUrl: string;
  [extension: string]: unknown;
}

/** Every 4xx/5xx of the process API (application/problem+json). */
export interface ErrorBody {
  error: string;
  message: string;
  timestamp: string;
  retryAfter?: number;
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  correlationId?: string;
  errorCount?: number;
  errors?: { path: string; message: string; [extension: string]: unknown }[];
  [extension: string]: unknown;
}

export interface ProcessListBody {
  items: ProcessStatusBody[];
  nextCursor?: string;
  [extension: string]: unknown;
}
