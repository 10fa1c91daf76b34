import type { Tenant } from '@stargate/contracts';
import { clientIdFor, credentialsSecretName } from './credentials.js';
import {
  COMPONENT_LABEL,
  INSTANCE_LABEL,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  NAME_LABEL,
  ROTATION_ANNOTATION,
  TENANT_LABEL,
} from './labels.js';
import { ownerReference, type SecretObject } from './objects.js';

export const CREDENTIALS_COMPONENT = 'tenant-credentials';

/** What the customer's system needs to get tokens: in the Tenant's namespace, owned by the Tenant. */
export function desiredCredentialsSecret(
  tenant: Tenant,
  clientSecret: string,
  tokenUrl: string,
): SecretObject {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: credentialsSecretName(tenant.metadata.name),
      ...(tenant.metadata.namespace ? { namespace: tenant.metadata.namespace } : {}),
      labels: {
        [NAME_LABEL]: 'stargate',
        [COMPONENT_LABEL]: CREDENTIALS_COMPONENT,
        [INSTANCE_LABEL]: tenant.metadata.name,
        [MANAGED_BY_LABEL]: MANAGED_BY,
        [TENANT_LABEL]: tenant.metadata.name,
      },
      annotations: { [ROTATION_ANNOTATION]: tenant.spec.credentials?.rotationToken ?? '' },
      ownerReferences: [ownerReference(tenant)],
    },
    type: 'Opaque',
    data: {
      'client-id': b64(clientIdFor(tenant)),
      'client-secret': b64(clientSecret),
      'token-url': b64(tokenUrl),
    },
  };
}

/** The current client secret, or undefined when it must be (re)generated: missing, or a rotation was asked for. */
export function currentClientSecret(tenant: Tenant, existing: SecretObject | undefined): string | undefined {
  const raw = existing?.data?.['client-secret'];
  if (!raw) return undefined;
  const wanted = tenant.spec.credentials?.rotationToken ?? '';
  if ((existing.metadata.annotations?.[ROTATION_ANNOTATION] ?? '') !== wanted) return undefined;
  return Buffer.from(raw, 'base64').toString('utf8');
}
