import { createCircuitBreaker, type RedisKeys, type TenantConfig } from '@stargate/contracts';
import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { BucketSpec, Decision } from './gcra.js';
import { createLocalLimiter } from './local-limiter.js';
import { createRedisLimiter } from './redis-limiter.js';

/**
 * Per tenant, and per tenant + process type when a type is known (submit). Redis decides, so
 * every gateway shares one budget; when Redis fails the breaker opens and a per-instance
 * limiter decides instead (fail-open to a local limit, never a 500).
 */
export function createRateLimiter(deps: {
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  metrics: Metrics;
  now: () => number;
  cooldownMs?: number;
}) {
  const remote = createRedisLimiter({ redis: deps.redis });
  const local = createLocalLimiter({ now: deps.now });
  const breaker = createCircuitBreaker({ now: deps.now, openMs: deps.cooldownMs ?? 5000 });

  function specsFor(tenant: TenantConfig, processType?: string): BucketSpec[] {
    const specs: BucketSpec[] = [
      {
        key: deps.keys.rateLimit(tenant.id, 'tenant'),
        name: 'tenant',
        requestsPerMinute: tenant.rateLimit.requestsPerMinute,
        burst: tenant.rateLimit.burst,
      },
    ];
    const perType = processType ? tenant.rateLimit.perType?.[processType] : undefined;
    if (processType && perType) {
      specs.push({
        key: deps.keys.rateLimit(tenant.id, `type:${processType}`),
        name: `type-${processType}`,
        requestsPerMinute: perType.requestsPerMinute,
        burst: perType.burst,
      });
    }
    return specs;
  }

  return {
    /**
     * `readKey`: a Redis state key to read in the same round trip (`decision.read`); absent
     * from the decision when the local limiter decided, so the caller reads it itself.
     */
    async check(tenant: TenantConfig, processType?: string, readKey?: string): Promise<Decision> {
      const specs = specsFor(tenant, processType);
      if (breaker.allowRequest()) {
        try {
          const decision = await remote.check(specs, readKey);
          breaker.success();
          return decision;
        } catch (err) {
          breaker.failure();
          deps.metrics.redisErrors.inc({ operation: 'ratelimit' });
          deps.logger.warn(
            { event: 'ratelimit.fallback', err: (err as Error).message },
            'Redis rate limiter failed; using the local limiter',
          );
        }
      }
      deps.metrics.rateLimitFallback.inc();
      return local.check(specs);
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;

/** IETF draft headers plus the X-RateLimit-* ones the seed's clients read. */
export function rateLimitHeaders(decision: Decision): Record<string, string> {
  const policy = decision.buckets
    .map((b) => `"${b.spec.name}";q=${b.spec.requestsPerMinute};w=60;burst=${b.spec.burst}`)
    .join(', ');
  const tightest = decision.buckets.reduce((a, b) => (b.remaining < a.remaining ? b : a));
  const resetSeconds = Math.ceil(tightest.resetMs / 1000);
  const headers: Record<string, string> = {
    'ratelimit-policy': policy,
    ratelimit: `"${tightest.spec.name}";r=${tightest.remaining};t=${resetSeconds}`,
    'x-ratelimit-limit': String(tightest.spec.requestsPerMinute),
    'x-ratelimit-remaining': String(tightest.remaining),
    'x-ratelimit-reset': String(resetSeconds),
  };
  return headers;
}

export function retryAfterSeconds(decision: Decision): number {
  return Math.max(1, Math.ceil(Math.max(...decision.buckets.map((b) => b.retryAfterMs)) / 1000));
}
