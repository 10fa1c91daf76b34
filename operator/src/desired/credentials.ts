import { createHash } from 'node:crypto';
import { hashClientSecret, type Tenant } from '@stargate/contracts';

/** Our OAuth client id of a tenant: stable, derived from its name (at least 3 characters). */
export function clientIdFor(tenant: Tenant): string {
  const external =
    tenant.spec.credentials?.type === 'external' ? tenant.spec.credentials.clientId : undefined;
  return external ?? `${tenant.metadata.name}-client`;
}

export function credentialsSecretName(tenantName: string): string {
  return `${tenantName}-stargate-credentials`;
}

const memo = new Map<string, string>();

/**
 * The scrypt hash of a client secret, with a salt derived from the tenant and the secret so
 * that the same secret always renders the same GatewayConfig (a random salt would change the
 * revision, and so every gateway's config, on every reconcile). scrypt is slow: memoised.
 */
export function stableSecretHash(secret: string, saltSource: string): string {
  const key = createHash('sha256').update(`${saltSource}\0${secret}`).digest('base64url');
  let hash = memo.get(key);
  if (!hash) {
    const salt = createHash('sha256')
      .update(`stargate-salt\0${saltSource}\0${secret}`)
      .digest()
      .subarray(0, 16);
    hash = hashClientSecret(secret, salt);
    if (memo.size > 10_000) memo.clear();
    memo.set(key, hash);
  }
  return hash;
}
