import type { Clock } from '../clock.js';
import { AuthenticationError, TransientError } from '../errors.js';
import type { FetchLike, TokenSource } from '../http/http-client.js';
import { parseRetryAfter } from '../http/retry-after.js';
import type { Logger } from '../logger.js';

export interface TokenProviderOptions {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  clock: Clock;
  logger: Logger;
  scope?: string;
  fetch?: FetchLike;
  /** Renew this long before `expires_in` runs out (ms). Default 60 s. */
  refreshSkewMs?: number;
  timeoutMs?: number;
}

interface TokenResponse {
  access_token: string;
  token_type?: string;
  expires_in?: number;
  refresh_token?: string;
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

/**
 * OAuth 2 client credentials (client_secret_basic) with a refresh token when the server issues
 * one. The token is cached until shortly before expiry; concurrent callers share one fetch.
 * Secrets and tokens never reach the logger.
 */
export function createTokenProvider(options: TokenProviderOptions): TokenSource {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const url = `${options.baseUrl.replace(/\/+$/, '')}/oauth/token`;
  const skew = options.refreshSkewMs ?? 60_000;
  const basic = Buffer.from(
    `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`,
  ).toString('base64');
  let cached: CachedToken | undefined;
  let refreshToken: string | undefined;
  let inflight: Promise<string> | undefined;

  async function grant(form: Record<string, string>, signal?: AbortSignal): Promise<TokenResponse> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
    let res: Response;
    let body: unknown;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams(form).toString(),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      body = await res.json().catch(() => undefined);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw new TransientError(`token request failed: ${(err as Error).message}`, undefined, undefined, {
        cause: err,
      });
    }
    if (res.status === 408 || res.status === 429 || res.status >= 500) {
      throw new TransientError(
        `token request → ${res.status}`,
        res.status,
        parseRetryAfter(res.headers.get('retry-after'), options.clock.now()),
      );
    }
    const tr = body as Partial<TokenResponse> | undefined;
    if (!res.ok || typeof tr?.access_token !== 'string') {
      const code = (body as { error?: unknown } | undefined)?.error;
      throw new AuthenticationError(
        `token request rejected (${res.status}${typeof code === 'string' ? ` ${code}` : ''})`,
        res.status,
      );
    }
    return tr as TokenResponse;
  }

  async function fetchToken(signal?: AbortSignal): Promise<string> {
    let tr: TokenResponse | undefined;
    if (refreshToken) {
      try {
        tr = await grant({ grant_type: 'refresh_token', refresh_token: refreshToken }, signal);
      } catch (err) {
        if (!(err instanceof AuthenticationError)) throw err;
        // An expired or revoked refresh token: start over with the client's own credentials.
        options.logger.info(
          { event: 'token.refresh_rejected' },
          'refresh token rejected, using client credentials',
        );
        refreshToken = undefined;
      }
    }
    if (!tr) {
      const form: Record<string, string> = { grant_type: 'client_credentials' };
      if (options.scope) form.scope = options.scope;
      tr = await grant(form, signal);
    }
    refreshToken = tr.refresh_token ?? refreshToken;
    const lifetimeMs = (tr.expires_in ?? 3600) * 1000;
    // Short-lived tokens would otherwise be "expired" on arrival; renew at half-life for those.
    const expiresAt = options.clock.now() + Math.max(lifetimeMs - skew, lifetimeMs / 2);
    cached = { value: tr.access_token, expiresAt };
    options.logger.debug({ event: 'token.issued', expiresInSeconds: tr.expires_in }, 'access token obtained');
    return tr.access_token;
  }

  return {
    async token(signal) {
      if (cached && options.clock.now() < cached.expiresAt) return cached.value;
      inflight ??= fetchToken(signal).finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
    invalidate(token) {
      if (cached?.value === token) cached = undefined;
    },
  };
}
