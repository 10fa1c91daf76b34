import { createHash } from 'node:crypto';
import { type TenantConfig, verifyClientSecretAsync } from '@stargate/contracts';
import type { LoadedConfig } from '../config/config-store.js';
import type { BucketSpec } from '../ratelimit/gcra.js';
import { createLocalLimiter } from '../ratelimit/local-limiter.js';

/** Wrong secrets tolerated per (client id, address) before further attempts from there are refused unchecked. */
const FAILURES: Omit<BucketSpec, 'key'> = { name: 'auth-failures', requestsPerMinute: 10, burst: 10 };
const MAX_BLOCKED = 10_000;
/**
 * scrypt runs per caller address (any client id, known or not): an unknown id costs a scrypt
 * too (else its quick refusal tells which client ids exist), and rotating ids must not buy an
 * address unlimited scrypt on the thread pool. A secret verified before costs none.
 */
const SCRYPTS_PER_ADDRESS: Omit<BucketSpec, 'key'> = {
  name: 'auth-scrypt',
  requestsPerMinute: 120,
  burst: 60,
};

export type ClientAuthentication = TenantConfig | { retryAfterSeconds: number } | undefined;

export interface ClientAuthenticator {
  /** The tenant whose credentials these are, `retryAfterSeconds` while `address` is blocked for this client id, or undefined. */
  authenticate(
    config: LoadedConfig,
    clientId: string,
    secret: string,
    address: string,
  ): Promise<ClientAuthentication>;
}

/**
 * Checks client credentials against the scrypt hashes of the config, on the thread pool.
 * Wrong guesses are counted per (client id, caller address): an attacker who knows a client
 * id blocks only their own address, never the client's. A blocked address gets no scrypt at
 * all, but a secret this gateway has verified before (kept as a (hash, secret digest) pair;
 * a rotated hash never matches) is still accepted there — the client behind the same NAT as
 * the attacker keeps working.
 */
/** The secret hash of some tenant: the same scrypt parameters as a real check. */
function anyHash(config: LoadedConfig): string | undefined {
  for (const t of config.tenantByClientId.values()) if (t.clientSecretHash) return t.clientSecretHash;
  return undefined;
}

export function createClientAuthenticator(options: {
  now: () => number;
  cacheSize?: number;
}): ClientAuthenticator {
  const cacheSize = options.cacheSize ?? 1000;
  const failures = createLocalLimiter({ now: options.now });
  const scrypts = createLocalLimiter({ now: options.now });
  const blockedUntil = new Map<string, number>();
  const verified = new Map<string, true>();
  const digest = (value: string) => createHash('sha256').update(value).digest('base64url');
  const memoOf = (secret: string, hash: string) => `${hash}|${digest(secret)}`;
  const remember = (memo: string) => {
    if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
    verified.set(memo, true);
  };
  return {
    async authenticate(config, clientId, secret, address) {
      const tenant = config.tenantByClientId.get(clientId);
      const hashes = tenant?.clientSecretHash
        ? [tenant.clientSecretHash, ...(tenant.previousClientSecretHashes ?? [])]
        : [];
      if (tenant && hashes.some((h) => verified.has(memoOf(secret, h)))) return tenant;
      // A digest, not the id: the caller chooses the id (up to the 64 KiB form limit) and an
      // unknown one costs no scrypt, so raw ids would let anonymous failures fill memory.
      const key = `${digest(clientId)}\u0000${address}`;
      const until = blockedUntil.get(key);
      if (until !== undefined) {
        if (until > options.now()) return { retryAfterSeconds: Math.ceil((until - options.now()) / 1000) };
        blockedUntil.delete(key);
      }
      const budget = scrypts.check([{ ...SCRYPTS_PER_ADDRESS, key: address }]);
      if (!budget.allowed)
        return { retryAfterSeconds: Math.max(1, Math.ceil(budget.buckets[0]!.retryAfterMs / 1000)) };
      for (const h of hashes) {
        if (await verifyClientSecretAsync(secret, h)) {
          remember(memoOf(secret, h));
          return tenant;
        }
      }
      // An unknown id (or one without a secret) costs the same scrypt as a wrong secret.
      const decoy = hashes.length ? undefined : anyHash(config);
      if (decoy) await verifyClientSecretAsync(secret, decoy);
      const decision = failures.check([{ ...FAILURES, key }]);
      if (decision.allowed) return undefined;
      const retryAfterMs = decision.buckets[0]!.retryAfterMs;
      // Bounded: random client ids and addresses must not grow the map without end.
      if (blockedUntil.size >= MAX_BLOCKED) {
        for (const [k, t] of blockedUntil) if (t <= options.now()) blockedUntil.delete(k);
        if (blockedUntil.size >= MAX_BLOCKED) blockedUntil.delete(blockedUntil.keys().next().value!);
      }
      blockedUntil.set(key, options.now() + retryAfterMs);
      return { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
    },
  };
}
