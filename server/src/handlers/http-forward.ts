import { type CircuitBreaker, createCircuitBreaker, type ForwardHandlerConfig } from '@stargate/contracts';
import { defineHandler, type Handler, HandlerError } from './define-handler.js';

/**
 * Built-in `http-forward`: sends the request to an HTTP service inside the private zone.
 * 2xx → result (the JSON body), 4xx → non-retryable UPSTREAM_REJECTED, 5xx → retryable
 * UPSTREAM_UNAVAILABLE, no answer in time → retryable UPSTREAM_TIMEOUT. A circuit breaker
 * fails fast with CIRCUIT_OPEN while the backend is down, so the queue is not burnt through.
 *
 * The tenant sees these errors in the process state, so their messages and details never
 * name the backend (host, URL, the network error); the server log has them under the
 * correlation id. A 4xx/5xx answer's status and (truncated) body are passed on: they are the
 * backend's answer to this request.
 */
export interface ForwardOptions {
  /** The credentials value, resolved at start-up from the env var the config names. */
  credentials?: string;
  breaker?: CircuitBreaker;
}

const MAX_ERROR_BODY = 2048;

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function truncated(body: unknown): unknown {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > MAX_ERROR_BODY ? `${text.slice(0, MAX_ERROR_BODY)}…` : body;
}

export function createForwardHandler(
  type: string,
  config: ForwardHandlerConfig,
  options: ForwardOptions = {},
): Handler<unknown, unknown> {
  const breaker = options.breaker ?? createCircuitBreaker({ failureThreshold: 5, openMs: 30_000 });
  const target = new URL(config.url);
  // What the log names (no user info or query string, which may carry secrets).
  const backendUrl = target.origin + target.pathname;
  return defineHandler({
    type,
    async handle(ctx, data) {
      /** The full story for the server log; the client gets `failure` only. */
      const fail = (failure: HandlerError, log: Record<string, unknown> = {}): HandlerError => {
        ctx.logger.warn(
          { code: failure.code, backend: backendUrl, ...log, correlationId: ctx.correlationId },
          `forward handler: ${failure.message}`,
        );
        return failure;
      };
      if (!breaker.allowRequest()) {
        throw fail(
          new HandlerError('CIRCUIT_OPEN', "The process type's backend is failing; not called", {
            retryable: true,
          }),
        );
      }
      const headers: Record<string, string> = {
        ...config.headers,
        'content-type': 'application/json',
        accept: 'application/json',
        'x-correlation-id': ctx.correlationId,
        // Lets the backend deduplicate a re-run after a crash.
        'idempotency-key': `${ctx.processId}:${ctx.attempt}`,
      };
      if (options.credentials !== undefined) {
        headers[(config.credentialsHeader ?? 'authorization').toLowerCase()] = options.credentials;
      }
      const timeout = AbortSignal.timeout(config.timeoutSeconds * 1000);
      let res: Response;
      try {
        res = await fetch(target, {
          method: config.method,
          headers,
          body: JSON.stringify({
            processId: ctx.processId,
            processType: ctx.processType,
            tenantId: ctx.tenantId,
            attempt: ctx.attempt,
            data,
          }),
          signal: AbortSignal.any([ctx.signal, timeout]),
        });
      } catch (err) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        breaker.failure();
        if (timeout.aborted) {
          throw fail(
            new HandlerError(
              'UPSTREAM_TIMEOUT',
              `The process type's backend gave no answer within ${config.timeoutSeconds}s`,
              { retryable: true, details: { timeoutSeconds: config.timeoutSeconds } },
            ),
          );
        }
        throw fail(
          new HandlerError('UPSTREAM_UNREACHABLE', "The process type's backend cannot be reached", {
            retryable: true,
          }),
          { err },
        );
      }
      const body = await readBody(res).catch(() => null);
      if (res.status >= 200 && res.status < 300) {
        breaker.success();
        return body;
      }
      if (res.status >= 400 && res.status < 500) {
        // The backend is healthy; it refused this request.
        breaker.success();
        throw fail(
          new HandlerError('UPSTREAM_REJECTED', `The process type's backend answered ${res.status}`, {
            details: { status: res.status, body: truncated(body) },
          }),
        );
      }
      breaker.failure();
      throw fail(
        new HandlerError('UPSTREAM_UNAVAILABLE', `The process type's backend answered ${res.status}`, {
          retryable: true,
          details: { status: res.status, body: truncated(body) },
        }),
      );
    },
  });
}
