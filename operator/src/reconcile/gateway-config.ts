import type { GatewayConfig } from '@stargate/contracts';
import { credentialsSecretName, publishedHashes, secretHashFor } from '../desired/credentials.js';
import { desiredGatewayConfig } from '../desired/gateway-config.js';
import {
  COMPONENT_LABEL,
  FIELD_MANAGER,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  NAME_LABEL,
} from '../desired/labels.js';
import type { SecretObject } from '../desired/objects.js';
import { previousClientSecret, storedClientSecret } from '../desired/tenant-secret.js';
import { resourcePath } from '../kube/client.js';
import type { ReconcileContext } from './context.js';

export const GATEWAY_CONFIG_KEY_NAME = 'gateway-config.json';

function decode(secret: SecretObject | undefined): GatewayConfig | undefined {
  const raw = secret?.data?.[GATEWAY_CONFIG_KEY_NAME];
  if (!raw) return undefined;
  try {
    return JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as GatewayConfig;
  } catch {
    return undefined;
  }
}

/**
 * Renders the GatewayConfig from the caches and writes it, whole, into one Secret that every
 * gateway watches. All in a Secret (not a ConfigMap + Secret) so that gateways swap one
 * consistent document: a tenant never appears before its secret hash does.
 */
export async function syncGatewayConfig(ctx: ReconcileContext): Promise<GatewayConfig> {
  const { config } = ctx;
  const path = resourcePath('v1', 'Secret', config.gatewayNamespace, config.gatewayConfigName);
  const previous = decode(await ctx.client.get<SecretObject>(path));
  const hashes = new Map<string, string>();
  const previousHashes = new Map<string, string[]>();
  const now = ctx.now();
  for (const t of ctx.tenants.list()) {
    if (t.spec.credentials?.type === 'external') continue;
    // Hashes already published stay when their secret is unchanged (random salts, stable config).
    const known = publishedHashes(previous, t.metadata.name);
    const secret = ctx.secrets.get(t.metadata.namespace, credentialsSecretName(t.metadata.name));
    const clientSecret = storedClientSecret(secret);
    if (clientSecret) hashes.set(t.metadata.name, await secretHashFor(clientSecret, known));
    const rotatedOut = previousClientSecret(secret, now);
    if (rotatedOut) previousHashes.set(t.metadata.name, [await secretHashFor(rotatedOut.secret, known)]);
  }
  const { config: desired } = desiredGatewayConfig({
    tenants: ctx.tenants.list(),
    processTypes: ctx.processTypes.list(),
    secretHashes: hashes,
    previousHashes,
    ...(previous ? { previous } : {}),
  });
  if (previous?.revision === desired.revision) return desired;
  const secret: SecretObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: config.gatewayConfigName,
      namespace: config.gatewayNamespace,
      labels: {
        [NAME_LABEL]: 'stargate',
        [COMPONENT_LABEL]: 'gateway-config',
        [MANAGED_BY_LABEL]: MANAGED_BY,
      },
      annotations: { 'stargate.io/revision': desired.revision },
    },
    type: 'Opaque',
    data: {
      [GATEWAY_CONFIG_KEY_NAME]: Buffer.from(`${JSON.stringify(desired, null, 2)}\n`).toString('base64'),
    },
  };
  await ctx.client.apply(secret, FIELD_MANAGER);
  ctx.metrics.gatewayConfigUpdates.inc();
  ctx.logger.info(
    {
      revision: desired.revision,
      tenants: desired.tenants.length,
      processTypes: desired.processTypes.length,
    },
    'gateway config written',
  );
  return desired;
}
