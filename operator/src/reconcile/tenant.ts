import { generateClientSecret, type Tenant, type TenantStatus } from '@stargate/contracts';
import { setCondition } from '../desired/conditions.js';
import { clientIdFor, credentialsSecretName } from '../desired/credentials.js';
import {
  isDeleting,
  isPaused,
  processTypeConfig,
  processTypeProblem,
  type TenantProblem,
  tenantProblem,
} from '../desired/gateway-config.js';
import { FIELD_MANAGER } from '../desired/labels.js';
import type { KubeObject, SecretObject } from '../desired/objects.js';
import {
  currentClientSecret,
  desiredCredentialsSecret,
  type PreviousSecret,
  previousClientSecret,
  storedClientSecret,
} from '../desired/tenant-secret.js';
import { resourcePath } from '../kube/client.js';
import {
  CONFLICT_REASONS,
  GATEWAY_CONFIG_KEY,
  type ReconcileContext,
  type ReconcileResult,
} from './context.js';
import { hasFinalizer, patchStatus, setFinalizer } from './finalizers.js';
import { syncGatewayConfig } from './gateway-config.js';

type TenantObject = Tenant & KubeObject;

/**
 * A client id or external issuer claimed by another tenant: the gateway-config render decides
 * (the tenant in force keeps it, then the older), so its verdict is used once it has seen this
 * tenant. Until then, a newcomer sharing a client id with a tenant already seen is refused: a
 * newcomer never evicts a tenant in force. The render re-enqueues the tenant if it decides otherwise.
 */
function conflictProblem(ctx: ReconcileContext, tenant: Tenant): TenantProblem | undefined {
  const name = tenant.metadata.name;
  if (ctx.conflicts.seen.has(name)) {
    const verdict = ctx.conflicts.problems.get(name);
    return verdict && CONFLICT_REASONS.has(verdict.reason) ? verdict : undefined;
  }
  const clientId = clientIdFor(tenant);
  const rival = ctx.tenants
    .list()
    .find(
      (o) =>
        o.metadata.name !== name &&
        ctx.conflicts.seen.has(o.metadata.name) &&
        !ctx.conflicts.problems.has(o.metadata.name) &&
        !isDeleting(o) &&
        clientIdFor(o) === clientId,
    );
  return rival
    ? {
        reason: 'DuplicateClientId',
        message: `client id "${clientId}" is already used by tenant "${rival.metadata.name}"`,
      }
    : undefined;
}

export async function reconcileTenant(
  ctx: ReconcileContext,
  ns: string,
  name: string,
): Promise<ReconcileResult> {
  let tenant = ctx.tenants.get(ns, name);
  if (!tenant) return {};
  const secretPath = resourcePath('v1', 'Secret', ns, credentialsSecretName(name));

  if (isDeleting(tenant)) {
    if (!hasFinalizer(tenant)) return {};
    // Access ends first: the gateways get a config without this tenant before anything else goes.
    await syncGatewayConfig(ctx);
    await ctx.client.delete(secretPath);
    await setFinalizer(ctx.client, tenant, false);
    ctx.logger.info({ tenant: `${ns}/${name}` }, 'tenant deleted: access revoked, credentials removed');
    return {};
  }
  if (isPaused(tenant)) return {};

  tenant = await setFinalizer(ctx.client, tenant, true);
  // tenantProblem only asks whether a secret exists; its hash is computed for the gateway config.
  let secretWritten: string | undefined;
  let requeueAfterMs: number | undefined;
  if (tenant.spec.credentials?.type !== 'external') {
    // Read from the API server, not the cache: a stale cache must never make us mint a second secret.
    const existing = await ctx.client.get<SecretObject>(secretPath);
    let clientSecret = currentClientSecret(tenant, existing);
    let previous: PreviousSecret | undefined = previousClientSecret(existing, ctx.now());
    if (!clientSecret) {
      const old = storedClientSecret(existing);
      if (old && ctx.config.rotationGraceSeconds > 0) {
        previous = {
          secret: old,
          expiresAt: new Date(ctx.now().getTime() + ctx.config.rotationGraceSeconds * 1000),
        };
      }
      clientSecret = generateClientSecret();
      ctx.events.record(
        tenant,
        'Normal',
        existing ? 'CredentialsRotated' : 'CredentialsCreated',
        `client secret ${existing ? 'rotated' : 'generated'} in Secret ${credentialsSecretName(name)}`,
      );
    }
    // Without `previous` the apply drops the old key: we own that field, so it goes when omitted.
    await ctx.client.apply(
      desiredCredentialsSecret(tenant, clientSecret, ctx.config.tokenUrl, previous),
      FIELD_MANAGER,
    );
    // Come back when the grace period ends, to remove the old secret.
    if (previous) requeueAfterMs = Math.max(previous.expiresAt.getTime() - ctx.now().getTime(), 0) + 100;
    secretWritten = 'yes';
  } else {
    await ctx.client.delete(secretPath);
  }

  // The same rules as the gateway config: invalid process types do not count as existing.
  const known = new Set(
    ctx.processTypes
      .list()
      .filter(
        (p) => p.metadata.namespace === ns && !isDeleting(p) && !processTypeProblem(processTypeConfig(p)),
      )
      .map((p) => p.metadata.name),
  );
  const problem = tenantProblem(tenant, known, secretWritten) ?? conflictProblem(ctx, tenant);
  const generation = tenant.metadata.generation;
  const ready = problem
    ? { type: 'Ready', status: 'False' as const, ...problem }
    : tenant.spec.suspended
      ? {
          type: 'Ready',
          status: 'True' as const,
          reason: 'Suspended',
          message: 'suspended: the gateways refuse every request of this tenant',
        }
      : {
          type: 'Ready',
          status: 'True' as const,
          reason: 'Configured',
          message: 'the gateways accept this tenant',
        };
  const previousReady = tenant.status?.conditions?.find((c) => c.type === 'Ready');
  if (previousReady?.reason !== ready.reason) {
    ctx.events.record(tenant, problem ? 'Warning' : 'Normal', ready.reason, ready.message);
  }
  const status: TenantStatus = {
    conditions: setCondition(
      tenant.status?.conditions,
      { ...ready, ...(generation ? { observedGeneration: generation } : {}) },
      ctx.now(),
    ),
    ...(generation ? { observedGeneration: generation } : {}),
    clientId: clientIdFor(tenant),
    processTypes: tenant.spec.processTypes.map((p) => p.name).join(','),
    ...(tenant.spec.credentials?.type !== 'external' ? { secretName: credentialsSecretName(name) } : {}),
  };
  await patchStatus(ctx.client, tenant as TenantObject, status);
  ctx.enqueue(GATEWAY_CONFIG_KEY);
  return requeueAfterMs === undefined ? {} : { requeueAfterMs };
}
