import type { ProcessStatusBody } from '@stargate/contracts';

/** A process has been running longer than its type's warning threshold (`warning` event). */
export interface WarningEvent {
  processId: string;
  processType: string;
  message: string;
  elapsedMs: number;
}

/** An operation kept failing until its retries ran out (`alert` event); the work is kept. */
export interface AlertEvent {
  /** What kept failing: sending the queue, polling a process, or delivering a result. */
  operation: 'send' | 'poll' | 'deliver';
  processId?: string;
  idempotencyKey?: string;
  retries: number;
  error: string;
}

/** Handles a finished process's result; a rejection makes the delivery retry later. */
export type ResultHandler = (view: ProcessStatusBody) => void | Promise<void>;
