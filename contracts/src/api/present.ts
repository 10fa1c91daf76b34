/**
 * The one mapping from a process's internal state (what the server records and publishes,
 * `ProcessView`) to the public bodies of the API contract. Pure: the gateway calls it for
 * every answer, whichever store the state came from.
 */
import type { ProcessView } from '../process.js';
import { statusPath } from './paths.js';
import type { ProcessStatusBody, SubmitAcceptedBody } from './wire-types.js';

/**
 * Without an estimate of its own, a process type is expected to finish within the
 * specification's default polling timeout (10 minutes).
 */
export const DEFAULT_ESTIMATED_DURATION_SECONDS = 600;

export interface PresentationHints {
  /** The process type's `estimatedDurationSeconds`, when it has one. */
  estimatedDurationSeconds?: number | undefined;
}

/** createdAt + the type's estimate: the same instant in the 202 and every later state. */
export function estimatedCompletionTime(createdAt: string, hints: PresentationHints = {}): string {
  const seconds = hints.estimatedDurationSeconds ?? DEFAULT_ESTIMATED_DURATION_SECONDS;
  const start = Date.parse(createdAt);
  return new Date((Number.isNaN(start) ? Date.now() : start) + seconds * 1000).toISOString();
}

export function presentAccepted(
  accepted: { processId: string; clientProcessId: string; processType: string; createdAt: string },
  hints: PresentationHints = {},
): SubmitAcceptedBody {
  return {
    processId: accepted.processId,
    clientProcessId: accepted.clientProcessId,
    processType: accepted.processType,
    status: 'accepted',
    statusUrl: statusPath(accepted.processId),
    createdAt: accepted.createdAt,
    estimatedCompletionTime: estimatedCompletionTime(accepted.createdAt, hints),
  };
}

/** The status body of a process (`GET /processes/{id}`, list items). */
export function presentStatus(state: ProcessView, hints: PresentationHints = {}): ProcessStatusBody {
  // Field order as in the specification's examples; extensions last.
  const head = {
    processId: state.processId,
    ...(state.clientProcessId !== undefined ? { clientProcessId: state.clientProcessId } : {}),
    processType: state.processType,
  };
  const step = state.progress?.currentStep !== undefined ? { currentStep: state.progress.currentStep } : {};
  const times = {
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    estimatedCompletionTime: estimatedCompletionTime(state.createdAt, hints),
  };
  const tail = {
    statusUrl: statusPath(state.processId),
    version: state.version,
    ...(state.attempts !== undefined ? { attempts: state.attempts } : {}),
  };
  const percent = clampPercent(state.progress?.percent);
  const endedAt = state.completedAt ?? state.updatedAt;
  switch (state.status) {
    case 'accepted':
    case 'processing':
      return { ...head, status: state.status, progress: percent, ...step, result: null, ...times, ...tail };
    case 'completed':
      return {
        ...head,
        status: 'completed',
        progress: 100,
        ...step,
        result: state.result ?? null,
        ...times,
        completedAt: endedAt,
        ...tail,
      };
    case 'failed': {
      const error = state.error ?? { code: 'UNKNOWN', message: 'The process failed', retryable: false };
      return {
        ...head,
        status: 'failed',
        progress: percent,
        ...step,
        error: {
          code: error.code,
          message: error.message,
          ...(error.details !== undefined ? { details: error.details } : {}),
          retryable: error.retryable,
        },
        ...times,
        failedAt: endedAt,
        retryable: error.retryable,
        ...tail,
      };
    }
    case 'cancelled':
      return {
        ...head,
        status: 'cancelled',
        progress: percent,
        ...step,
        ...(state.error ? { error: { ...state.error } } : {}),
        ...times,
        cancelledAt: endedAt,
        ...tail,
      };
  }
}

function clampPercent(value: number | undefined): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 0;
  return Math.min(100, Math.max(0, value));
}
