import type { Problem, ProcessStatusBody } from '@stargate/contracts';

/** Base of every error the SDK throws, so callers can catch them as a family. */
export class StarGateError extends Error {
  override name = 'StarGateError';
}

/** The gateway answered with a permanent failure (a 4xx other than 408/429): resending cannot help. */
export class ProblemError extends StarGateError {
  override name = 'ProblemError';
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    message: string,
  ) {
    super(message);
  }
  get code(): string | undefined {
    return this.problem?.error;
  }
}

/** A failure worth retrying: network error, request timeout, 408, 429 or 5xx. */
export class TransientError extends StarGateError {
  override name = 'TransientError';
  constructor(
    message: string,
    readonly status?: number,
    /** Milliseconds the server asked us to wait (Retry-After). */
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Token endpoint refused the credentials. Not retried: the configuration is wrong. */
export class AuthenticationError extends StarGateError {
  override name = 'AuthenticationError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A process ended in `failed` or `cancelled` while someone waited for it to complete. */
export class ProcessFailedError extends StarGateError {
  override name = 'ProcessFailedError';
  constructor(
    message: string,
    readonly processId: string,
    readonly status: string,
    readonly error?: { code: string; message: string },
    readonly view?: ProcessStatusBody,
  ) {
    super(message);
  }
}

export class ClientClosedError extends StarGateError {
  override name = 'ClientClosedError';
  constructor() {
    super('the StarGate client is closed');
  }
}
