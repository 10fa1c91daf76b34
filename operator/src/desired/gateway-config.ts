import { createHash } from 'node:crypto';
import {
  DEFAULT_POLLING_HINTS,
  type GatewayConfig,
  OPERATIONS,
  PAUSED_ANNOTATION,
  type ProcessType,
  type ProcessTypeConfig,
  type Tenant,
  type TenantConfig,
  validateGatewayConfig,
} from '@stargate/contracts';
import { clientIdFor } from './credentials.js';

export const DEFAULT_RATE_LIMIT = { requestsPerMinute: 60, burst: 20 } as const;
export const DEFAULT_MAX_PAYLOAD_BYTES = 1_048_576;
export const DEFAULT_TIMEOUT_SECONDS = 300;

export function isPaused(obj: { metadata: { annotations?: Record<string, string> } }): boolean {
  return obj.metadata.annotations?.[PAUSED_ANNOTATION] === 'true';
}

export function isDeleting(obj: { metadata: { deletionTimestamp?: string } }): boolean {
  return Boolean(obj.metadata.deletionTimestamp);
}

export function processTypeConfig(pt: ProcessType): ProcessTypeConfig {
  const s = pt.spec;
  return {
    name: pt.metadata.name,
    ...(s.description ? { description: s.description } : {}),
    requestSchema: s.requestSchema,
    ...(s.resultSchema ? { resultSchema: s.resultSchema } : {}),
    polling: { ...DEFAULT_POLLING_HINTS, ...s.polling },
    maxPayloadBytes: s.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    timeoutSeconds: s.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    ...(s.estimatedDurationSeconds !== undefined
      ? { estimatedDurationSeconds: s.estimatedDurationSeconds }
      : {}),
    ...(s.sensitiveFields?.length ? { sensitiveFields: s.sensitiveFields } : {}),
  };
}

/** Why a tenant cannot be given access (yet); undefined when it can. */
export type TenantProblem = { reason: string; message: string };

/** https, or http to the local host only (development). */
function secureUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (
      u.protocol === 'https:' ||
      (u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname))
    );
  } catch {
    return false;
  }
}

export function tenantProblem(
  tenant: Tenant,
  knownTypes: ReadonlySet<string>,
  clientSecretHash: string | undefined,
): TenantProblem | undefined {
  const unknown = tenant.spec.processTypes.map((p) => p.name).filter((n) => !knownTypes.has(n));
  if (unknown.length) {
    return {
      reason: 'UnknownProcessType',
      message:
        `process type(s) ${unknown.map((n) => `"${n}"`).join(', ')} do not exist (or are invalid) in namespace ${tenant.metadata.namespace ?? ''}`.trim(),
    };
  }
  const creds = tenant.spec.credentials;
  if (creds?.type === 'external' && creds.jwksUrl && !secureUrl(creds.jwksUrl)) {
    return {
      reason: 'InsecureJwksUrl',
      message: `jwksUrl "${creds.jwksUrl}" must use https (keys fetched over plain HTTP can be replaced on the way)`,
    };
  }
  if (tenant.spec.credentials?.type !== 'external' && !clientSecretHash) {
    return { reason: 'CredentialsPending', message: 'the client secret has not been generated yet' };
  }
  return undefined;
}

export function tenantConfig(
  tenant: Tenant,
  clientSecretHash: string | undefined,
  previousHashes: readonly string[] = [],
): TenantConfig {
  const s = tenant.spec;
  const creds = s.credentials;
  const rl = s.rateLimit;
  const requestsPerMinute = rl?.requestsPerMinute ?? DEFAULT_RATE_LIMIT.requestsPerMinute;
  const perType: Record<string, { requestsPerMinute: number; burst: number }> = {};
  for (const p of rl?.perType ?? []) {
    perType[p.processType] = {
      requestsPerMinute: p.requestsPerMinute,
      burst: p.burst ?? p.requestsPerMinute,
    };
  }
  return {
    id: tenant.metadata.name,
    displayName: s.displayName,
    clientId: clientIdFor(tenant),
    ...(creds?.type !== 'external' && clientSecretHash ? { clientSecretHash } : {}),
    ...(creds?.type !== 'external' && clientSecretHash && previousHashes.length
      ? { previousClientSecretHashes: [...previousHashes] }
      : {}),
    ...(creds?.type === 'external' && creds.issuer && creds.audience && creds.jwksUrl
      ? {
          externalIssuer: {
            issuer: creds.issuer,
            audience: creds.audience,
            jwksUrl: creds.jwksUrl,
            ...(creds.clientId ? { clientId: creds.clientId } : {}),
          },
        }
      : {}),
    processTypes: s.processTypes.map((p) => ({
      name: p.name,
      operations: [...(p.operations ?? OPERATIONS)],
    })),
    rateLimit: {
      requestsPerMinute,
      burst: rl?.burst ?? Math.min(requestsPerMinute, DEFAULT_RATE_LIMIT.burst),
      ...(Object.keys(perType).length ? { perType } : {}),
    },
    suspended: s.suspended ?? false,
    ...(s.dataRetention ? { retentionDays: s.dataRetention.days } : {}),
  };
}

export interface GatewayConfigInput {
  tenants: readonly Tenant[];
  processTypes: readonly ProcessType[];
  /** Client secret hash per tenant name (generated credentials only). */
  secretHashes: ReadonlyMap<string, string>;
  /** Hashes of rotated-out secrets still in their grace period, per tenant name. */
  previousHashes?: ReadonlyMap<string, readonly string[]>;
  /** The config currently in force: paused resources keep their entry from it. */
  previous?: GatewayConfig;
}

export interface GatewayConfigResult {
  config: GatewayConfig;
  /** Tenants left out (no access), with why. */
  excluded: Map<string, TenantProblem>;
  /** Process types left out (invalid schema), with why. */
  excludedTypes: Map<string, TenantProblem>;
}

/** Why a process type cannot be offered (its JSON Schemas do not compile); undefined when fine. */
export function processTypeProblem(entry: ProcessTypeConfig): TenantProblem | undefined {
  const checked = validateGatewayConfig({ revision: 'check', tenants: [], processTypes: [entry] });
  return checked.ok ? undefined : { reason: 'InvalidSchema', message: checked.errors.join('; ') };
}

/** In force in the previous config first, then oldest first, then by name: a newcomer never evicts a tenant. */
function tenantPrecedence(previous: ReadonlyMap<string, TenantConfig>) {
  const rank = (t: Tenant) => (previous.has(t.metadata.name) ? 0 : 1);
  const created = (t: Tenant) => Date.parse(t.metadata.creationTimestamp ?? '') || Number.MAX_SAFE_INTEGER;
  return (a: Tenant, b: Tenant) =>
    rank(a) - rank(b) || created(a) - created(b) || a.metadata.name.localeCompare(b.metadata.name);
}

/**
 * Tokens of one external issuer can be told apart only by a pinned client id: two tenants may
 * share an issuer only when both pin one and the two differ. Otherwise one tenant would accept
 * the other's tokens (or the gateway would pick one of them by order).
 */
function issuerOverlap(
  entry: TenantConfig,
  issuers: ReadonlyMap<string, TenantConfig[]>,
): TenantProblem | undefined {
  const ext = entry.externalIssuer;
  if (!ext) return undefined;
  for (const other of issuers.get(ext.issuer) ?? []) {
    const theirs = other.externalIssuer?.clientId;
    if (ext.clientId === undefined || theirs === undefined || ext.clientId === theirs) {
      return {
        reason: 'OverlappingIssuer',
        message:
          `issuer "${ext.issuer}" is already used by tenant "${other.id}"; tenants may share an issuer ` +
          'only when both pin a clientId and the two differ',
      };
    }
  }
  return undefined;
}

/**
 * The one GatewayConfig every gateway enforces, as a pure function of the resources.
 * A deleting tenant is left out (its access ends before its finalizer is removed); a tenant
 * with a problem is left out rather than half-configured; a paused resource keeps the
 * entry it had in the previous config.
 */
export function desiredGatewayConfig(input: GatewayConfigInput): GatewayConfigResult {
  const prevTypes = new Map(input.previous?.processTypes.map((p) => [p.name, p]));
  const prevTenants = new Map(input.previous?.tenants.map((t) => [t.id, t]));
  const processTypes: ProcessTypeConfig[] = [];
  const excludedTypes = new Map<string, TenantProblem>();
  for (const pt of input.processTypes) {
    if (isDeleting(pt)) continue;
    const entry = isPaused(pt) ? prevTypes.get(pt.metadata.name) : processTypeConfig(pt);
    if (!entry) continue;
    const problem = processTypeProblem(entry);
    if (problem) excludedTypes.set(pt.metadata.name, problem);
    else processTypes.push(entry);
  }
  processTypes.sort((a, b) => a.name.localeCompare(b.name));
  const known = new Set(processTypes.map((p) => p.name));
  const tenants: TenantConfig[] = [];
  const excluded = new Map<string, TenantProblem>();
  const clientIds = new Map<string, string>();
  const issuers = new Map<string, TenantConfig[]>();
  // When two tenants claim one client id or issuer, the one already in force keeps it, then the older.
  const sorted = [...input.tenants].sort(tenantPrecedence(prevTenants));
  for (const t of sorted) {
    if (isDeleting(t)) continue;
    const name = t.metadata.name;
    if (isPaused(t)) {
      const prev = prevTenants.get(name);
      if (prev?.processTypes.every((p) => known.has(p.name))) tenants.push(prev);
      continue;
    }
    const hash = input.secretHashes.get(name);
    const problem = tenantProblem(t, known, hash);
    if (problem) {
      excluded.set(name, problem);
      continue;
    }
    const entry = tenantConfig(t, hash, input.previousHashes?.get(name));
    const owner = clientIds.get(entry.clientId);
    if (owner) {
      excluded.set(name, {
        reason: 'DuplicateClientId',
        message: `client id "${entry.clientId}" is already used by tenant "${owner}"`,
      });
      continue;
    }
    const overlap = issuerOverlap(entry, issuers);
    if (overlap) {
      excluded.set(name, overlap);
      continue;
    }
    clientIds.set(entry.clientId, name);
    if (entry.externalIssuer) {
      const list = issuers.get(entry.externalIssuer.issuer) ?? [];
      list.push(entry);
      issuers.set(entry.externalIssuer.issuer, list);
    }
    tenants.push(entry);
  }
  tenants.sort((a, b) => a.id.localeCompare(b.id));
  const revision = createHash('sha256')
    .update(JSON.stringify({ tenants, processTypes }))
    .digest('hex')
    .slice(0, 16);
  const config: GatewayConfig = { revision, tenants, processTypes };
  const checked = validateGatewayConfig(config);
  if (!checked.ok) {
    // Only reachable through a bug or a CRD/contract mismatch: never hand gateways a bad config.
    throw new Error(`rendered GatewayConfig is invalid: ${checked.errors.join('; ')}`);
  }
  return { config, excluded, excludedTypes };
}
