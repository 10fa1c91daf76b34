import { createHash } from 'node:crypto';
import { type TenantConfig, verifyClientSecret } from '@stargate/contracts';
import type { LoadedConfig } from '../config/config-store.js';
import type { BucketSpec } from '../ratelimit/gcra.js';
import { createLocalLimiter } from '../ratelimit/local-limiter.js';

/** Wrong secrets tolerated per client id before further attempts are refused unchecked. */
const FAILURES: Omit<BucketSpec, 'key'> = { name: 'auth-failures', requestsPerMinute: 10, burst: 10 };

/**
 * Checks client credentials against the scrypt hashes of the config. scrypt is deliberately
 * slow, so a verified (hash, secret digest) pair is remembered; a rotated hash never matches.
 */
export function createClientAuthenticator(options: { now: () => number; cacheSize?: number }) {
  const cacheSize = options.cacheSize ?? 1000;
  // Every wrong guess costs a scrypt; a client id being guessed at is slowed down per instance.
  const failures = createLocalLimiter({ now: options.now });
  const blockedUntil = new Map<string, number>();
  const verified = new Map<string, true>();
  const check = (secret: string, hash: string) => {
    const memo = `${hash}|${createHash('sha256').update(secret).digest('hex')}`;
    if (verified.has(memo)) return true;
    if (!verifyClientSecret(secret, hash)) return false;
    if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
    verified.set(memo, true);
    return true;
  };
  return {
    /** The tenant whose credentials these are, or undefined. */
    authenticate(
      config: LoadedConfig,
      clientId: string,
      secret: string,
    ): TenantConfig | { retryAfterSeconds: number } | undefined {
      const until = blockedUntil.get(clientId);
      if (until !== undefined) {
        if (until > options.now()) return { retryAfterSeconds: Math.ceil((until - options.now()) / 1000) };
        blockedUntil.delete(clientId);
      }
      const tenant = config.tenantByClientId.get(clientId);
      const hashes = tenant?.clientSecretHash
        ? [tenant.clientSecretHash, ...(tenant.previousClientSecretHashes ?? [])]
        : [];
      if (tenant && hashes.some((h) => check(secret, h))) return tenant;
      const decision = failures.check([{ ...FAILURES, key: clientId }]);
      if (decision.allowed) return undefined;
      const retryAfterMs = decision.buckets[0]!.retryAfterMs;
      // Bounded: random client ids must not grow the map without end.
      if (blockedUntil.size >= 10_000) {
        for (const [id, t] of blockedUntil) if (t <= options.now()) blockedUntil.delete(id);
      }
      blockedUntil.set(clientId, options.now() + retryAfterMs);
      return { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
    },
  };
}
