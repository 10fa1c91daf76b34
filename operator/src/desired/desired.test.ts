import {
  GROUP_VERSION,
  hashClientSecret,
  PAUSED_ANNOTATION,
  type ProcessType,
  type Tenant,
  validateGatewayConfig,
  verifyClientSecret,
} from '@stargate/contracts';
import { describe, expect, it } from 'vitest';
import { setCondition } from './conditions.js';
import { desiredGatewayConfig } from './gateway-config.js';
import { desiredDeployment, desiredPodDisruptionBudget } from './handler.js';
import { desiredServerConfig } from './server-config.js';
import {
  currentClientSecret,
  desiredCredentialsSecret,
  previousClientSecret,
  storedClientSecret,
} from './tenant-secret.js';

function tenant(
  name: string,
  spec: Partial<Tenant['spec']> = {},
  meta: Partial<Tenant['metadata']> = {},
): Tenant {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'Tenant',
    metadata: { name, namespace: 'sg', uid: `uid-${name}`, generation: 1, ...meta },
    spec: { displayName: name.toUpperCase(), processTypes: [{ name: 'order' }], ...spec },
  };
}

function processType(name: string, spec: Partial<ProcessType['spec']> = {}): ProcessType {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'ProcessType',
    metadata: { name, namespace: 'sg', uid: `uid-${name}`, generation: 1 },
    spec: { requestSchema: { type: 'object' }, handler: { builtin: name }, ...spec },
  };
}

const hashes = new Map([['acme', hashClientSecret('s3cret')]]);

describe('desiredGatewayConfig', () => {
  it('renders tenants with defaults, and the result passes the gateway contract', () => {
    const { config, excluded } = desiredGatewayConfig({
      tenants: [tenant('acme', { rateLimit: { requestsPerMinute: 120 } })],
      processTypes: [processType('order')],
      secretHashes: hashes,
    });
    expect(excluded.size).toBe(0);
    expect(validateGatewayConfig(config).ok).toBe(true);
    const t = config.tenants[0];
    expect(t).toMatchObject({
      id: 'acme',
      clientId: 'acme-client',
      suspended: false,
      processTypes: [{ name: 'order', operations: ['submit', 'read', 'cancel'] }],
      rateLimit: { requestsPerMinute: 120, burst: 20 },
    });
    expect(verifyClientSecret('s3cret', t?.clientSecretHash ?? '')).toBe(true);
    expect(config.processTypes[0]?.polling).toEqual({
      firstPollSeconds: 0,
      fastIntervalSeconds: 30,
      fastPhaseSeconds: 120,
      slowIntervalSeconds: 60,
      maxTimeoutSeconds: 600,
    });
  });

  it('is deterministic: the same resources give the same revision; a change gives another', () => {
    const input = { tenants: [tenant('acme')], processTypes: [processType('order')], secretHashes: hashes };
    const a = desiredGatewayConfig(input).config;
    expect(desiredGatewayConfig(input).config.revision).toBe(a.revision);
    const suspended = desiredGatewayConfig({
      ...input,
      tenants: [tenant('acme', { suspended: true })],
    }).config;
    expect(suspended.revision).not.toBe(a.revision);
    expect(suspended.tenants[0]?.suspended).toBe(true);
  });

  it('leaves out tenants with unknown process types, pending credentials, or being deleted', () => {
    const { config, excluded } = desiredGatewayConfig({
      tenants: [
        tenant('acme', { processTypes: [{ name: 'nope' }] }),
        tenant('globex'),
        tenant('gone', {}, { deletionTimestamp: '2026-01-01T00:00:00Z' }),
      ],
      processTypes: [processType('order')],
      secretHashes: hashes,
    });
    expect(config.tenants).toEqual([]);
    expect(excluded.get('acme')?.reason).toBe('UnknownProcessType');
    expect(excluded.get('acme')?.message).toContain('"nope"');
    expect(excluded.get('globex')?.reason).toBe('CredentialsPending');
    expect(excluded.has('gone')).toBe(false);
  });

  it('keeps the previous entry of a paused tenant', () => {
    const before = desiredGatewayConfig({
      tenants: [tenant('acme')],
      processTypes: [processType('order')],
      secretHashes: hashes,
    }).config;
    const paused = tenant('acme', { suspended: true }, { annotations: { [PAUSED_ANNOTATION]: 'true' } });
    const after = desiredGatewayConfig({
      tenants: [paused],
      processTypes: [processType('order')],
      secretHashes: hashes,
      previous: before,
    }).config;
    expect(after.tenants).toEqual(before.tenants);
  });

  it('accepts external issuers without a secret', () => {
    const { config } = desiredGatewayConfig({
      tenants: [
        tenant('ext', {
          credentials: {
            type: 'external',
            issuer: 'https://idp',
            audience: 'sg',
            jwksUrl: 'https://idp/jwks',
            clientId: 'abc',
          },
        }),
      ],
      processTypes: [processType('order')],
      secretHashes: new Map(),
    });
    expect(config.tenants[0]).toMatchObject({
      clientId: 'abc',
      externalIssuer: { issuer: 'https://idp', audience: 'sg', jwksUrl: 'https://idp/jwks', clientId: 'abc' },
    });
    expect(config.tenants[0]?.clientSecretHash).toBeUndefined();
  });

  it('gives a client id to one tenant only: the other is left out, whatever the input order', () => {
    const ext = tenant('zeta', {
      credentials: {
        type: 'external',
        issuer: 'https://idp',
        audience: 'sg',
        jwksUrl: 'https://idp/jwks',
        clientId: 'acme-client',
      },
    });
    for (const order of [
      [tenant('acme'), ext],
      [ext, tenant('acme')],
    ]) {
      const { config, excluded } = desiredGatewayConfig({
        tenants: order,
        processTypes: [processType('order')],
        secretHashes: hashes,
      });
      expect(config.tenants.map((t) => t.id)).toEqual(['acme']);
      expect(excluded.get('zeta')).toMatchObject({ reason: 'DuplicateClientId' });
    }
  });

  it('leaves out a process type whose schema does not compile', () => {
    const { config, excludedTypes } = desiredGatewayConfig({
      tenants: [],
      processTypes: [processType('bad', { requestSchema: { type: 'no-such-type' } })],
      secretHashes: new Map(),
    });
    expect(config.processTypes).toEqual([]);
    expect(excludedTypes.get('bad')?.reason).toBe('InvalidSchema');
  });
});

describe('credentials secret', () => {
  it('carries client id, secret and token URL, owned by the tenant; rotation token change asks for a new secret', () => {
    const t = tenant('acme', { credentials: { rotationToken: 'one' } });
    const s = desiredCredentialsSecret(t, 'abc', 'https://gw/oauth/token');
    expect(Buffer.from(s.data?.['client-secret'] ?? '', 'base64').toString()).toBe('abc');
    expect(Buffer.from(s.data?.['client-id'] ?? '', 'base64').toString()).toBe('acme-client');
    expect(s.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Tenant',
      uid: 'uid-acme',
      controller: true,
    });
    expect(currentClientSecret(t, s)).toBe('abc');
    expect(currentClientSecret(tenant('acme', { credentials: { rotationToken: 'two' } }), s)).toBeUndefined();
    expect(currentClientSecret(t, undefined)).toBeUndefined();
  });
});

describe('rotation grace period', () => {
  it('keeps the previous secret until it expires, and offers its hash to the gateways meanwhile', () => {
    const t = tenant('acme');
    const expiresAt = new Date('2026-01-01T01:00:00Z');
    const s = desiredCredentialsSecret(t, 'new', 'https://gw/oauth/token', { secret: 'old', expiresAt });
    expect(previousClientSecret(s, new Date('2026-01-01T00:59:59Z'))).toEqual({ secret: 'old', expiresAt });
    expect(previousClientSecret(s, expiresAt)).toBeUndefined();
    expect(storedClientSecret(s)).toBe('new');
    const { config } = desiredGatewayConfig({
      tenants: [t],
      processTypes: [processType('order')],
      secretHashes: hashes,
      previousHashes: new Map([['acme', [hashClientSecret('old')]]]),
    });
    expect(verifyClientSecret('old', config.tenants[0]?.previousClientSecretHashes?.[0] ?? '')).toBe(true);
    expect(validateGatewayConfig(config).ok).toBe(true);
  });
});

describe('handler deployment', () => {
  const opts = { namespace: 'private', defaultImage: 'stargate:1' };
  it('runs the server for exactly that process type, hardened, with secrets by reference', () => {
    const pt = processType('shipping', {
      handler: {
        forward: { url: 'http://erp/ship', credentialsSecretRef: { name: 'erp', key: 'token' } },
        replicas: 3,
      },
    });
    const d = desiredDeployment(pt, desiredServerConfig([pt], []), opts);
    const json = JSON.stringify(d);
    expect(d.metadata.namespace).toBe('private');
    expect(d.metadata.ownerReferences).toBeUndefined();
    expect(d.metadata.labels?.['stargate.io/owner-namespace']).toBe('sg');
    expect(d.spec.replicas).toBe(3);
    expect(json).toContain('"image":"stargate:1"');
    expect(json).toContain('{"name":"STARGATE_PROCESS_TYPES","value":"shipping"}');
    expect(json).toContain('"secretKeyRef":{"name":"stargate-server-connections","key":"amqp-url"}');
    expect(json).toContain('"secretKeyRef":{"name":"erp","key":"token"}');
    expect(json).toContain('"readOnlyRootFilesystem":true');
    expect(json).toContain('"drop":["ALL"]');
    expect(json).toContain('"type":"RuntimeDefault"');
    expect(json).toContain('"path":"/health/ready"');
  });

  it('gives handler pods the encryption keys from their Secret, and nothing when encryption is off', () => {
    const pt = processType('order', {});
    const withKeys = desiredDeployment(pt, desiredServerConfig([pt], []), {
      ...opts,
      encryptionKeys: { secret: 'sg-encryption-keys', key: 'keys' },
    });
    expect(JSON.stringify(withKeys)).toContain(
      JSON.stringify({
        name: 'STARGATE_ENCRYPTION_KEYS',
        valueFrom: { secretKeyRef: { name: 'sg-encryption-keys', key: 'keys' } },
      }),
    );
    const off = desiredDeployment(pt, desiredServerConfig([pt], []), opts);
    expect(JSON.stringify(off)).not.toContain('STARGATE_ENCRYPTION_KEYS');
    // A rotated key list changes the pod template, so the pods restart and read it.
    const annotation = (value: string) => {
      const d = desiredDeployment(pt, desiredServerConfig([pt], []), {
        ...opts,
        encryptionKeys: { secret: 'sg-encryption-keys', key: 'keys' },
        encryptionKeysValue: value,
      });
      const template = d.spec.template as { metadata: { annotations: Record<string, string> } };
      return template.metadata.annotations['stargate.io/encryption-keys-hash'];
    };
    expect(annotation('azE6YWFh')).toMatch(/^[0-9a-f]{16}$/);
    expect(annotation('azE6YWFh')).toBe(annotation('azE6YWFh'));
    expect(annotation('azI6YmJi')).not.toBe(annotation('azE6YWFh'));
  });

  it('gives handler pods the quorum queue group size when the operator has one, and leaves it to their URL otherwise', () => {
    const pt = processType('order', {});
    const env = (d: ReturnType<typeof desiredDeployment>) =>
      (d.spec.template as { spec: { containers: { env: { name: string; value?: string }[] }[] } }).spec
        .containers[0]!.env;
    const sized = desiredDeployment(pt, desiredServerConfig([pt], []), {
      ...opts,
      amqpQuorumInitialGroupSize: 5,
    });
    expect(env(sized)).toContainEqual({ name: 'STARGATE_AMQP_QUORUM_INITIAL_GROUP_SIZE', value: '5' });
    const unset = desiredDeployment(pt, desiredServerConfig([pt], []), opts);
    expect(env(unset).map((e) => e.name)).not.toContain('STARGATE_AMQP_QUORUM_INITIAL_GROUP_SIZE');
  });

  it('uses the custom image and owner references when in the same namespace', () => {
    const pt = processType('order', { handler: { image: 'acme/order:2' } });
    const same = { ...opts, namespace: 'sg' };
    const d = desiredDeployment(pt, desiredServerConfig([pt], []), same);
    expect(JSON.stringify(d)).toContain('"image":"acme/order:2"');
    expect(d.metadata.ownerReferences?.[0]?.uid).toBe('uid-order');
    expect(desiredPodDisruptionBudget(pt, same).spec).toMatchObject({ maxUnavailable: 1 });
  });

  it('puts tenant retention for that type into the server config', () => {
    const pt = processType('order');
    const cfg = desiredServerConfig([pt], [tenant('acme', { dataRetention: { days: 7 } }), tenant('b')]);
    expect(cfg.retention).toEqual({ defaultDays: 30, tenants: { acme: 7 } });
    expect(cfg.processTypes[0]).toMatchObject({
      name: 'order',
      handler: { builtin: 'order' },
      concurrency: 4,
    });
    expect(cfg.processTypes[0]?.queue).toBeUndefined();
  });

  it('carries the work queue bound of the ProcessType into the server config', () => {
    const pt = processType('order', { queue: { maxLength: 500, deliveryLimit: 3 } });
    expect(desiredServerConfig([pt], []).processTypes[0]?.queue).toEqual({
      maxLength: 500,
      deliveryLimit: 3,
    });
  });
});

describe('setCondition', () => {
  it('keeps the transition time while the status stays the same', () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const t1 = new Date('2026-01-01T01:00:00Z');
    const a = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'X', message: 'x' }, t0);
    const b = setCondition(a, { type: 'Ready', status: 'False', reason: 'Y', message: 'y' }, t1);
    expect(b[0]?.lastTransitionTime).toBe(t0.toISOString());
    const c = setCondition(b, { type: 'Ready', status: 'True', reason: 'Ok', message: '' }, t1);
    expect(c[0]?.lastTransitionTime).toBe(t1.toISOString());
  });
});

describe('tenants sharing an external issuer (issue 16, Medium 10)', () => {
  const external = (clientId?: string, jwksUrl = 'https://idp/jwks') => ({
    credentials: {
      type: 'external' as const,
      issuer: 'https://idp',
      audience: 'sg',
      jwksUrl,
      ...(clientId ? { clientId } : {}),
    },
  });
  const render = (tenants: Tenant[], previous?: ReturnType<typeof desiredGatewayConfig>['config']) =>
    desiredGatewayConfig({
      tenants,
      processTypes: [processType('order')],
      secretHashes: hashes,
      ...(previous ? { previous } : {}),
    });

  it('a newer tenant on an issuer already used without a pinned client id is refused; the older keeps it', () => {
    const older = tenant('zeta', external(), { creationTimestamp: '2026-01-01T00:00:00Z' });
    const newer = tenant('alpha', external('alpha-app'), { creationTimestamp: '2026-02-01T00:00:00Z' });
    for (const order of [
      [older, newer],
      [newer, older],
    ]) {
      const { config, excluded } = render(order);
      expect(config.tenants.map((t) => t.id)).toEqual(['zeta']);
      expect(excluded.get('alpha')).toMatchObject({ reason: 'OverlappingIssuer' });
      expect(excluded.get('alpha')?.message).toContain('"zeta"');
    }
  });

  it('two tenants pinning distinct client ids share an issuer', () => {
    const { config, excluded } = render([tenant('a', external('app-a')), tenant('b', external('app-b'))]);
    expect(config.tenants.map((t) => t.id)).toEqual(['a', 'b']);
    expect(excluded.size).toBe(0);
  });

  it('a newcomer never evicts the tenant in force, whatever their names', () => {
    const inForce = tenant('zeta', external('shared-app'), { creationTimestamp: '2026-03-01T00:00:00Z' });
    const { config: before } = render([inForce]);
    // Older by timestamp and first by name, but not yet in force: still the one refused.
    const newcomer = tenant('aaa', external('shared-app'), { creationTimestamp: '2025-01-01T00:00:00Z' });
    const { config, excluded } = render([newcomer, inForce], before);
    expect(config.tenants.map((t) => t.id)).toEqual(['zeta']);
    expect(excluded.get('aaa')).toMatchObject({ reason: 'DuplicateClientId' });
  });

  it('a jwksUrl over plain http is refused (https, or http to localhost for development)', () => {
    const { config, excluded } = render([
      tenant('plain', external('plain-app', 'http://idp.example/jwks')),
      tenant('local', external('local-app', 'http://localhost:9000/jwks')),
    ]);
    expect(config.tenants.map((t) => t.id)).toEqual(['local']);
    expect(excluded.get('plain')).toMatchObject({ reason: 'InsecureJwksUrl' });
  });
});
