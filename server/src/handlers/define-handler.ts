import type { Logger } from 'pino';

/** What a handler sees of the runtime while it runs one process. */
export interface HandlerContext {
  processId: string;
  processType: string;
  tenantId: string;
  correlationId: string;
  /** 1 for the first run; automatic and manual retries count up. */
  attempt: number;
  /**
   * Aborted on cancel, timeout, shutdown, or when this worker can no longer own the run (its
   * broker channel or its lease on the process was lost); `signal.reason` says which.
   */
  signal: AbortSignal;
  logger: Logger;
  /** Records progress in MongoDB and publishes it as a state change. */
  progress(percent: number, currentStep?: string): Promise<void>;
}

export interface Handler<TData = unknown, TResult = unknown> {
  type: string;
  handle(ctx: HandlerContext, data: TData): Promise<TResult>;
}

/** Identity function that gives a handler module its types. */
export function defineHandler<TData = unknown, TResult = unknown>(
  handler: Handler<TData, TResult>,
): Handler<TData, TResult> {
  return handler;
}

/** A business failure a handler reports; `retryable` decides whether the runtime tries again. */
export class HandlerError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  readonly retryable: boolean;

  constructor(
    code: string,
    message: string,
    options: { details?: Record<string, unknown>; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HandlerError';
    this.code = code;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}

/** Why the runtime aborted a handler's signal. */
export type AbortReason = 'cancelled' | 'timeout' | 'shutdown' | 'channel-lost' | 'lease-lost';

export class RuntimeAbort extends Error {
  constructor(readonly reason: AbortReason) {
    super(`handler aborted: ${reason}`);
    this.name = 'RuntimeAbort';
  }
}

/** Waits `ms`, rejecting with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
