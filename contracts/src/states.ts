/** Lifecycle of a process: accepted → processing → completed | failed | cancelled; a retryable failure may go back to processing. */
export const PROCESS_STATUSES = ['accepted', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type ProcessStatus = (typeof PROCESS_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<ProcessStatus> = new Set(['completed', 'failed', 'cancelled']);

export function isProcessStatus(value: unknown): value is ProcessStatus {
  return typeof value === 'string' && (PROCESS_STATUSES as readonly string[]).includes(value);
}

export function isTerminal(status: ProcessStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

const TRANSITIONS: Record<ProcessStatus, readonly ProcessStatus[]> = {
  accepted: ['processing', 'failed', 'cancelled'],
  processing: ['processing', 'completed', 'failed', 'cancelled'],
  // Only a retryable failure may be retried; the caller checks `retryable`.
  failed: ['processing'],
  completed: [],
  cancelled: [],
};

/** Whether `to` may follow `from`. Versions decide ordering; this decides legality. */
export function canTransition(from: ProcessStatus, to: ProcessStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Process type names: DNS-label-like, since they name queues, Deployments and scopes. */
export const PROCESS_TYPE_NAME_PATTERN = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';
export const TENANT_ID_PATTERN = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';
