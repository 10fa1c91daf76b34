import type { ErrorCode } from '@stargate/contracts';

/**
 * The one error type the code raises for an expected failure; the error handler maps it to
 * a problem+json answer. Anything else is an internal error and is answered without details.
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly retryAfter: number | undefined;
  readonly errors: { path: string; message: string }[] | undefined;
  readonly errorCount: number | undefined;
  readonly headers: Record<string, string> | undefined;
  /** Counted in gateway_auth_failures_total when set. */
  readonly authFailure: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    extra: {
      retryAfter?: number;
      errors?: { path: string; message: string }[];
      errorCount?: number;
      headers?: Record<string, string>;
      authFailure?: string;
    } = {},
  ) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
    this.retryAfter = extra.retryAfter;
    this.errors = extra.errors;
    this.errorCount = extra.errorCount;
    this.headers = extra.headers;
    this.authFailure = extra.authFailure;
  }
}

/** The broker could not durably take a message (down, not confirming, or no route). */
export class BrokerUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BrokerUnavailableError';
  }
}

/** The server did not answer a request/reply query before its deadline. */
export class RpcTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RpcTimeoutError';
  }
}
