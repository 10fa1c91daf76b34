import type { Operation } from '@stargate/contracts';
import { scopeFor } from '@stargate/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../http/errors.js';
import type { GatewayContext } from '../http/context.js';
import { rateLimitHeaders, retryAfterSeconds } from '../ratelimit/rate-limiter.js';
import { isProcessId } from '../state/prefetched-state.js';
import type { Principal } from './principal.js';

/** Verifies the bearer token against the config in force now. */
export async function authenticate(ctx: GatewayContext, request: FastifyRequest): Promise<Principal> {
  const header = request.headers.authorization;
  const m = typeof header === 'string' ? /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header) : null;
  if (!m) {
    throw new GatewayError('INVALID_TOKEN', 'A bearer access token is required', {
      authFailure: 'missing',
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
  const config = ctx.config.current();
  if (!config) throw new GatewayError('SERVICE_UNAVAILABLE', 'The gateway is starting', { retryAfter: 5 });
  const principal = await ctx.tokenVerifier.verify(m[1]!, config);
  request.principal = principal;
  return principal;
}

export function requireScope(principal: Principal, processType: string, operation: Operation): void {
  const scope = scopeFor(processType, operation);
  if (!principal.scopes.has(scope)) {
    throw new GatewayError(
      'INSUFFICIENT_PERMISSIONS',
      // The specification's wording first, then what exactly is missing.
      `ProcessType not authorized: the token lacks the scope ${scope}`,
      {
        authFailure: 'scope',
        // RFC 6750 §3.1: the scope a new token would need (named only when it is plain text:
        // the type comes from the caller and must not shape a header).
        headers: {
          'www-authenticate': /^[A-Za-z0-9:._-]+$/.test(scope)
            ? `Bearer error="insufficient_scope", scope="${scope}"`
            : 'Bearer error="insufficient_scope"',
        },
      },
    );
  }
}

/**
 * Charges the tenant's budget (and the type's, when given); sets the headers on every answer.
 * `readProcess`: the id of a process the request will read — its state is fetched in the same
 * Redis round trip and left on the request for the process reader (`prefetchedState`).
 */
export async function enforceRateLimit(
  ctx: GatewayContext,
  principal: Principal,
  reply: FastifyReply,
  processType?: string,
  readProcess?: unknown,
): Promise<void> {
  const readKey = isProcessId(readProcess) ? ctx.keys.process(principal.tenant.id, readProcess) : undefined;
  const decision = await ctx.rateLimiter.check(principal.tenant, processType, readKey);
  if (readKey && decision.read !== undefined)
    reply.request.prefetchedState = { key: readKey, raw: decision.read };
  reply.headers(rateLimitHeaders(decision));
  if (!decision.allowed) {
    ctx.metrics.rateLimitExceeded.inc({ tenant: principal.tenant.id });
    const retryAfter = retryAfterSeconds(decision);
    // The specification's wording, with the limit of the bucket that refused.
    const refusing = decision.buckets.reduce((a, b) => (b.retryAfterMs > a.retryAfterMs ? b : a));
    throw new GatewayError(
      'RATE_LIMIT_EXCEEDED',
      `Request rate limit exceeded (${refusing.spec.requestsPerMinute} req/min)`,
      { retryAfter },
    );
  }
}
