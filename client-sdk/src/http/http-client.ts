import { randomUUID } from 'node:crypto';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { HTTP_HEADERS, isProblem, type Problem } from '@stargate/contracts';
import type { Clock } from '../clock.js';
import { ProblemError, TransientError } from '../errors.js';
import { parseRetryAfter } from './retry-after.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface TokenSource {
  token(signal?: AbortSignal): Promise<string>;
  /** Drops the cached token (after a 401) so the next `token()` fetches a fresh one. */
  invalidate(token: string): void;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  correlationId?: string;
  /** Overall deadline of this call in ms (long polls pass their wait plus a margin). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  body: T;
  correlationId: string;
}

export interface HttpClientOptions {
  baseUrl: string;
  tokens: TokenSource;
  clock: Clock;
  fetch?: FetchLike;
  timeoutMs?: number;
  userAgent?: string;
}

const TRANSIENT_STATUSES = new Set([408, 429]);

/** One API call with a deadline, a bearer token (refreshed once on 401) and typed errors. */
export function createHttpClient(options: HttpClientOptions) {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const defaultTimeout = options.timeoutMs ?? 30_000;
  const tracer = trace.getTracer('@stargate/client-sdk');

  async function once<T>(req: HttpRequest, token: string, correlationId: string): Promise<HttpResponse<T>> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${token}`,
      [HTTP_HEADERS.correlationId]: correlationId,
      ...(options.userAgent ? { 'user-agent': options.userAgent } : {}),
      ...req.headers,
    };
    propagation.inject(context.active(), headers);
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(req.timeoutMs ?? defaultTimeout);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    let res: Response;
    let text: string;
    try {
      res = await doFetch(`${baseUrl}${req.path}`, {
        method: req.method,
        headers,
        signal,
        ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
      });
      text = await res.text();
    } catch (err) {
      // The caller's own abort is not a transport failure: let it through untouched.
      if (req.signal?.aborted) throw req.signal.reason;
      const what = timeout.aborted ? 'timed out' : 'failed';
      throw new TransientError(
        `${req.method} ${req.path} ${what}: ${(err as Error).message}`,
        undefined,
        undefined,
        {
          cause: err,
        },
      );
    }
    let body: unknown;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (res.status < 400) return { status: res.status, headers: res.headers, body: body as T, correlationId };
    const problem: Problem | undefined = isProblem(body) ? body : undefined;
    const message = `${req.method} ${req.path} → ${res.status}${problem ? ` ${problem.error}: ${problem.message}` : ''}`;
    if (res.status >= 500 || TRANSIENT_STATUSES.has(res.status)) {
      const retryAfterMs =
        parseRetryAfter(res.headers.get(HTTP_HEADERS.retryAfter), options.clock.now()) ??
        (problem?.retryAfter !== undefined ? problem.retryAfter * 1000 : undefined);
      throw new TransientError(message, res.status, retryAfterMs);
    }
    throw new ProblemError(res.status, problem, message);
  }

  async function withToken<T>(req: HttpRequest, correlationId: string): Promise<HttpResponse<T>> {
    const token = await options.tokens.token(req.signal);
    try {
      return await once<T>(req, token, correlationId);
    } catch (err) {
      if (!(err instanceof ProblemError) || err.status !== 401) throw err;
      // One transparent retry with a fresh token: the cached one expired or was revoked early.
      options.tokens.invalidate(token);
      return once<T>(req, await options.tokens.token(req.signal), correlationId);
    }
  }

  return {
    /** One call in a client span (a no-op without an OpenTelemetry SDK); its traceparent goes on the wire. */
    request<T>(req: HttpRequest): Promise<HttpResponse<T>> {
      const correlationId = req.correlationId ?? randomUUID();
      const route = req.path.split('?')[0]!.replace(/\/processes\/[^/]+/, '/processes/{id}');
      return tracer.startActiveSpan(
        `${req.method} ${route}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'http.request.method': req.method,
            'url.path': route,
            'stargate.correlation_id': correlationId,
          },
        },
        async (span) => {
          try {
            const res = await withToken<T>(req, correlationId);
            span.setAttribute('http.response.status_code', res.status);
            return res;
          } catch (err) {
            if (err instanceof ProblemError || err instanceof TransientError) {
              if (err.status !== undefined) span.setAttribute('http.response.status_code', err.status);
            }
            span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
            throw err;
          } finally {
            span.end();
          }
        },
      );
    },
  };
}

export type HttpClient = ReturnType<typeof createHttpClient>;
