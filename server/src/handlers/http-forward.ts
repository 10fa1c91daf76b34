import { type CircuitBreaker, createCircuitBreaker, type ForwardHandlerConfig } from '@stargate/contracts';
import { defineHandler, type Handler, HandlerError } from './define-handler.js';

/**
 * Built-in `http-forward`: sends the request to an HTTP service inside the private zone.
 * 2xx → result (the JSON body), 4xx → non-retryable UPSTREAM_REJECTED, 5xx → retryable
 * UPSTREAM_UNAVAILABLE, no answer in time → retryable UPSTREAM_TIMEOUT. A circuit breaker
 * fails fast with CIRCUIT_OPEN while the backend is down, so the queue is not burnt through.
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
  return defineHandler({
    type,
    async handle(ctx, data) {
      if (!breaker.allowRequest()) {
        throw new HandlerError('CIRCUIT_OPEN', `backend ${target.host} is failing; not called`, {
          retryable: true,
          details: { url: target.origin + target.pathname },
        });
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
          throw new HandlerError('UPSTREAM_TIMEOUT', `no answer within ${config.timeoutSeconds}s`, {
            retryable: true,
            details: { timeoutSeconds: config.timeoutSeconds },
          });
        }
        throw new HandlerError('UPSTREAM_UNREACHABLE', `cannot reach ${target.host}`, {
          retryable: true,
          details: { reason: err instanceof Error ? err.message : String(err) },
        });
      }
      const body = await readBody(res).catch(() => null);
      if (res.status >= 200 && res.status < 300) {
        breaker.success();
        return body;
      }
      if (res.status >= 400 && res.status < 500) {
        // The backend is healthy; it refused this request.
        breaker.success();
        throw new HandlerError('UPSTREAM_REJECTED', `backend answered ${res.status}`, {
          details: { status: res.status, body: truncated(body) },
        });
      }
      breaker.failure();
      throw new HandlerError('UPSTREAM_UNAVAILABLE', `backend answered ${res.status}`, {
        retryable: true,
        details: { status: res.status, body: truncated(body) },
      });
    },
  });
}
