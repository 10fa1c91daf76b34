import { createHash } from 'node:crypto';
import { type TenantConfig, verifyClientSecret } from '@stargate/contracts';
import type { LoadedConfig } from '../config/config-store.js';

/**
 * Checks client credentials against the scrypt hashes of the config. scrypt is deliberately
 * slow, so a verified (hash, secret digest) pair is remembered; a rotated hash never matches.
 */
export function createClientAuthenticator(options: { cacheSize?: number } = {}) {
  const cacheSize = options.cacheSize ?? 1000;
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
    authenticate(config: LoadedConfig, clientId: string, secret: string): TenantConfig | undefined {
      const tenant = config.tenantByClientId.get(clientId);
      if (!tenant?.clientSecretHash) return undefined;
      const hashes = [tenant.clientSecretHash, ...(tenant.previousClientSecretHashes ?? [])];
      return hashes.some((h) => check(secret, h)) ? tenant : undefined;
    },
  };
}
