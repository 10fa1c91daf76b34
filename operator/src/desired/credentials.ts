import { createHash } from 'node:crypto';
import {
  hashClientSecret,
  hasCurrentHashParameters,
  type Tenant,
  verifyClientSecretAsync,
} from '@stargate/contracts';

/** Our OAuth client id of a tenant: stable, derived from its name (at least 3 characters). */
export function clientIdFor(tenant: Tenant): string {
  const external =
    tenant.spec.credentials?.type === 'external' ? tenant.spec.credentials.clientId : undefined;
  return external ?? `${tenant.metadata.name}-client`;
}

export function credentialsSecretName(tenantName: string): string {
  return `${tenantName}-stargate-credentials`;
}

/** Which (published hash, secret) pairs verified: scrypt is slow and reconciles are frequent. */
const verified = new Map<string, boolean>();

async function verifies(secret: string, hash: string): Promise<boolean> {
  if (!hasCurrentHashParameters(hash)) return false;
  const key = createHash('sha256').update(`${hash}\0${secret}`).digest('base64url');
  let ok = verified.get(key);
  if (ok === undefined) {
    ok = await verifyClientSecretAsync(secret, hash);
    if (verified.size > 10_000) verified.clear();
    verified.set(key, ok);
  }
  return ok;
}

/**
 * The scrypt hash to publish for a client secret. Each hash has its own random salt; to keep
 * the GatewayConfig (and so every gateway's config revision) stable across reconciles and
 * renders, a hash already published (`known`, e.g. from the config in force) is kept when the
 * secret still verifies against it. Only a new or rotated secret gets a new hash.
 */
export async function secretHashFor(secret: string, known: readonly string[] = []): Promise<string> {
  for (const hash of known) if (await verifies(secret, hash)) return hash;
  const hash = hashClientSecret(secret);
  verified.set(createHash('sha256').update(`${hash}\0${secret}`).digest('base64url'), true);
  return hash;
}

/** The hashes a GatewayConfig publishes for a tenant (current and still-valid previous ones). */
export function publishedHashes(
  config:
    | { tenants: { id: string; clientSecretHash?: string; previousClientSecretHashes?: string[] }[] }
    | undefined,
  tenantName: string,
): string[] {
  const entry = config?.tenants?.find((t) => t.id === tenantName);
  if (!entry) return [];
  return [
    ...(entry.clientSecretHash ? [entry.clientSecretHash] : []),
    ...(entry.previousClientSecretHashes ?? []),
  ];
}
