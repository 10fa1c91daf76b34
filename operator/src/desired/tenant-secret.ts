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
export const PREVIOUS_SECRET_KEY = 'previous-client-secret';
export const PREVIOUS_EXPIRES_ANNOTATION = 'stargate.io/previous-secret-expires-at';

/** After a rotation the old secret keeps working until then (the customer's systems switch over). */
export interface PreviousSecret {
  secret: string;
  expiresAt: Date;
}

/** What the customer's system needs to get tokens: in the Tenant's namespace, owned by the Tenant. */
export function desiredCredentialsSecret(
  tenant: Tenant,
  clientSecret: string,
  tokenUrl: string,
  previous?: PreviousSecret,
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
      annotations: {
        [ROTATION_ANNOTATION]: tenant.spec.credentials?.rotationToken ?? '',
        ...(previous ? { [PREVIOUS_EXPIRES_ANNOTATION]: previous.expiresAt.toISOString() } : {}),
      },
      ownerReferences: [ownerReference(tenant)],
    },
    type: 'Opaque',
    data: {
      'client-id': b64(clientIdFor(tenant)),
      'client-secret': b64(clientSecret),
      'token-url': b64(tokenUrl),
      ...(previous ? { [PREVIOUS_SECRET_KEY]: b64(previous.secret) } : {}),
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

/** The secret in force, whatever the rotation token says (what gateways must accept right now). */
export function storedClientSecret(existing: SecretObject | undefined): string | undefined {
  const raw = existing?.data?.['client-secret'];
  return raw ? Buffer.from(raw, 'base64').toString('utf8') : undefined;
}

/** The secret replaced by the last rotation, while its grace period lasts. */
export function previousClientSecret(
  existing: SecretObject | undefined,
  now: Date,
): PreviousSecret | undefined {
  const raw = existing?.data?.[PREVIOUS_SECRET_KEY];
  const expires = existing?.metadata.annotations?.[PREVIOUS_EXPIRES_ANNOTATION];
  if (!raw || !expires) return undefined;
  const expiresAt = new Date(expires);
  if (!(expiresAt.getTime() > now.getTime())) return undefined;
  return { secret: Buffer.from(raw, 'base64').toString('utf8'), expiresAt };
}
