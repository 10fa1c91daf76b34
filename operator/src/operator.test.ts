import {
  FINALIZER,
  type GatewayConfig,
  GROUP_VERSION,
  PAUSED_ANNOTATION,
  type ProcessType,
  type Tenant,
  verifyClientSecret,
} from '@stargate/contracts';
import { eventually } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentObject, SecretObject } from './desired/objects.js';
import { KubeError, resourcePath } from './kube/client.js';
import { startOperator, type Operator } from './operator.js';
import { createNamespace, installCrds, testClient, testConfig, testLogger } from './testing/cluster.js';

const client = testClient();
let ns: { watch: string; gateway: string; private: string };
let operator: Operator;

const tenantPath = (name?: string) => resourcePath(GROUP_VERSION, 'Tenant', ns.watch, name);
const ptPath = (name?: string) => resourcePath(GROUP_VERSION, 'ProcessType', ns.watch, name);
const secretPath = (namespace: string, name: string) => resourcePath('v1', 'Secret', namespace, name);
const decode = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');

async function gatewayConfig(): Promise<GatewayConfig | undefined> {
  const s = await client.get<SecretObject>(secretPath(ns.gateway, 'stargate-gateway-config'));
  const raw = s?.data?.['gateway-config.json'];
  return raw ? (JSON.parse(decode(raw)) as GatewayConfig) : undefined;
}

function tenant(name: string, spec: Partial<Tenant['spec']> = {}) {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'Tenant',
    metadata: { name },
    spec: { displayName: `${name} Inc.`, processTypes: [{ name: 'order' }], ...spec },
  };
}

function processType(name: string, handler: ProcessType['spec']['handler'] = { builtin: name }) {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'ProcessType',
    metadata: { name },
    spec: { requestSchema: { type: 'object', required: ['x'] }, handler },
  };
}

async function applyTenant(obj: ReturnType<typeof tenant>) {
  return client.apply<Tenant>({ ...obj, metadata: { ...obj.metadata, namespace: ns.watch } }, 'test');
}

async function applyProcessType(obj: ReturnType<typeof processType>) {
  return client.apply<ProcessType>({ ...obj, metadata: { ...obj.metadata, namespace: ns.watch } }, 'test');
}

const ready = (
  obj:
    | { status?: { conditions?: { type: string; status: string; reason: string; message?: string }[] } }
    | undefined,
) => obj?.status?.conditions?.find((c) => c.type === 'Ready');

const encryptionKeySecret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'stargate-encryption-keys' },
  stringData: { keys: `k1:${Buffer.alloc(32, 1).toString('base64')}` },
};

beforeAll(async () => {
  await installCrds(client);
  ns = {
    watch: await createNamespace(client, 'op'),
    gateway: await createNamespace(client, 'op-gw'),
    private: await createNamespace(client, 'op-priv'),
  };
  // Encryption at rest as the chart sets it up: the operator checks the key Secret is there.
  await client.create(resourcePath('v1', 'Secret', ns.private), encryptionKeySecret);
  operator = startOperator({
    client,
    config: { ...testConfig(ns), encryptionKeys: { secret: 'stargate-encryption-keys', key: 'keys' } },
    logger: testLogger,
    retryPeriodMs: 200,
    recheckMs: 300,
  });
  await eventually(() => operator.isLeader() && operator.ready());
});

afterAll(async () => {
  // Our finalizers need the operator: delete what is left while it still runs.
  for (const kind of ['Tenant', 'ProcessType'] as const) {
    const list = await client.list<Tenant>(resourcePath(GROUP_VERSION, kind, ns.watch));
    for (const item of list.items)
      await client.delete(resourcePath(GROUP_VERSION, kind, ns.watch, item.metadata.name));
  }
  await eventually(async () => (await client.list(tenantPath())).items.length === 0);
  await eventually(async () => (await client.list(ptPath())).items.length === 0);
  await operator?.close();
  for (const n of Object.values(ns ?? {})) await client.delete(resourcePath('v1', 'Namespace', undefined, n));
});

describe('CRDs', () => {
  it('refuse invalid resources with messages a person understands', async () => {
    const bad = tenant('bad', {
      processTypes: [{ name: 'order' }],
      rateLimit: { requestsPerMinute: 10, perType: [{ processType: 'shipping', requestsPerMinute: 1 }] },
      credentials: { type: 'external', issuer: 'https://idp' },
    });
    const err = await applyTenant(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).status).toBe(422);
    expect((err as KubeError).message).toContain(
      'rateLimit.perType may only name process types listed in spec.processTypes',
    );
    expect((err as KubeError).message).toContain(
      'credentials of type external need issuer, audience and jwksUrl',
    );

    const noOps = await applyTenant(
      tenant('bad2', { processTypes: [{ name: 'order', operations: ['delete' as 'read'] }] }),
    ).then(
      () => new KubeError(0, 'accepted'),
      (e: unknown) => e as KubeError,
    );
    expect(noOps.message).toMatch(/supported values: "submit", "read", "cancel"/);

    const twoHandlers = await applyProcessType(processType('bad', { builtin: 'order', image: 'x' })).then(
      () => new KubeError(0, 'accepted'),
      (e: unknown) => e as KubeError,
    );
    expect(twoHandlers.message).toContain('handler needs exactly one of builtin, forward or image');

    const badClient = await applyTenant(
      tenant('bad3', {
        credentials: {
          type: 'external',
          issuer: 'https://idp',
          audience: 'sg',
          jwksUrl: 'not a url',
          clientId: 'a b',
        },
      }),
    ).then(
      () => new KubeError(0, 'accepted'),
      (e: unknown) => e as KubeError,
    );
    expect(badClient.message).toContain('jwksUrl must be an http(s) URL');
    expect(badClient.message).toContain('credentials.clientId must be 3 to 128 letters');
  });
});

describe('Tenant', () => {
  it('create, update, rotate, suspend, delete: Secrets, gateway config and conditions follow', async () => {
    await applyProcessType(processType('order'));
    const t0 = Date.now();
    await applyTenant(tenant('acme', { rateLimit: { requestsPerMinute: 100 } }));
    const first = await eventually(async () => (await gatewayConfig())?.tenants.find((t) => t.id === 'acme'));
    const createLatency = Date.now() - t0;

    const creds = await client.get<SecretObject>(secretPath(ns.watch, 'acme-stargate-credentials'));
    expect(decode(creds?.data?.['client-id'])).toBe('acme-client');
    expect(decode(creds?.data?.['token-url'])).toBe('https://gateway.example/oauth/token');
    const secret1 = decode(creds?.data?.['client-secret']);
    expect(secret1.length).toBeGreaterThan(30);
    expect(creds?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Tenant', name: 'acme' });
    expect(verifyClientSecret(secret1, first.clientSecretHash ?? '')).toBe(true);
    expect(first.rateLimit.requestsPerMinute).toBe(100);

    const t = await eventually(async () => {
      const x = await client.get<Tenant>(tenantPath('acme'));
      return ready(x)?.status === 'True' ? x : undefined;
    });
    expect(t.status).toMatchObject({
      clientId: 'acme-client',
      secretName: 'acme-stargate-credentials',
      observedGeneration: 1,
    });
    expect(t.metadata.finalizers).toContain(FINALIZER);

    const t1 = Date.now();
    await applyTenant(tenant('acme', { rateLimit: { requestsPerMinute: 250 } }));
    await eventually(
      async () =>
        (await gatewayConfig())?.tenants.find((x) => x.id === 'acme')?.rateLimit.requestsPerMinute === 250,
    );
    const updateLatency = Date.now() - t1;
    // The secret did not change, so neither does its hash (random salt, kept by verifying).
    expect((await gatewayConfig())?.tenants.find((x) => x.id === 'acme')?.clientSecretHash).toBe(
      first.clientSecretHash,
    );
    await eventually(
      async () => (await client.get<Tenant>(tenantPath('acme')))?.status?.observedGeneration === 2,
    );

    await applyTenant(
      tenant('acme', { rateLimit: { requestsPerMinute: 250 }, credentials: { rotationToken: 'r2' } }),
    );
    const rotated = await eventually(async () => {
      const s = decode(
        (await client.get<SecretObject>(secretPath(ns.watch, 'acme-stargate-credentials')))?.data?.[
          'client-secret'
        ],
      );
      return s !== secret1 ? s : undefined;
    });
    await eventually(async () =>
      verifyClientSecret(
        rotated,
        (await gatewayConfig())?.tenants.find((x) => x.id === 'acme')?.clientSecretHash ?? '',
      ),
    );
    // The old secret keeps working for the grace period (2 s in these tests), then stops.
    const acmeEntry = async () => (await gatewayConfig())?.tenants.find((x) => x.id === 'acme');
    const during = await acmeEntry();
    expect(verifyClientSecret(secret1, during?.clientSecretHash ?? '')).toBe(false);
    expect(verifyClientSecret(secret1, during?.previousClientSecretHashes?.[0] ?? '')).toBe(true);
    expect(during?.previousClientSecretHashes?.[0]).toBe(first.clientSecretHash);
    await eventually(async () => (await acmeEntry())?.previousClientSecretHashes === undefined);
    await eventually(async () => {
      const s = await client.get<SecretObject>(secretPath(ns.watch, 'acme-stargate-credentials'));
      return s && !s.data?.['previous-client-secret'];
    });

    const t2 = Date.now();
    await applyTenant(
      tenant('acme', {
        rateLimit: { requestsPerMinute: 250 },
        credentials: { rotationToken: 'r2' },
        suspended: true,
      }),
    );
    await eventually(
      async () => (await gatewayConfig())?.tenants.find((x) => x.id === 'acme')?.suspended === true,
    );
    const suspendLatency = Date.now() - t2;
    await eventually(async () => ready(await client.get<Tenant>(tenantPath('acme')))?.reason === 'Suspended');

    const events = await client.list<{ reason: string; involvedObject: { name: string } }>(
      resourcePath('v1', 'Event', ns.watch),
    );
    expect(events.items.filter((e) => e.involvedObject.name === 'acme').map((e) => e.reason)).toEqual(
      expect.arrayContaining(['CredentialsCreated', 'CredentialsRotated']),
    );

    const t3 = Date.now();
    await client.delete(tenantPath('acme'));
    await eventually(async () => (await gatewayConfig())?.tenants.every((x) => x.id !== 'acme'));
    const deleteLatency = Date.now() - t3;
    await eventually(async () => !(await client.get(secretPath(ns.watch, 'acme-stargate-credentials'))));
    await eventually(async () => !(await client.get(tenantPath('acme'))));
    console.log(
      `[measure] Tenant apply → gateway-config Secret updated: create ${createLatency} ms, update ${updateLatency} ms, suspend ${suspendLatency} ms, delete ${deleteLatency} ms`,
    );
  });

  it('an unknown process type gives Ready=False, and recovers by itself once it exists', async () => {
    await applyTenant(tenant('globex', { processTypes: [{ name: 'shipping' }] }));
    const cond = await eventually(async () => {
      const c = ready(await client.get<Tenant>(tenantPath('globex')));
      return c?.reason === 'UnknownProcessType' ? c : undefined;
    });
    expect(cond.status).toBe('False');
    expect((await gatewayConfig())?.tenants.some((x) => x.id === 'globex')).toBe(false);
    await applyProcessType(processType('shipping'));
    await eventually(async () => ready(await client.get<Tenant>(tenantPath('globex')))?.status === 'True');
    await eventually(async () => (await gatewayConfig())?.tenants.some((x) => x.id === 'globex'));
  });

  it('a paused tenant is frozen: spec changes do not reach the gateways until unpaused', async () => {
    await applyTenant(tenant('initech'));
    await eventually(async () => (await gatewayConfig())?.tenants.some((x) => x.id === 'initech'));
    const paused = {
      ...tenant('initech', { suspended: true }),
      metadata: { name: 'initech', annotations: { [PAUSED_ANNOTATION]: 'true' } },
    };
    await client.apply({ ...paused, metadata: { ...paused.metadata, namespace: ns.watch } }, 'test');
    // Another change that is reconciled proves the operator has seen the paused one.
    await applyTenant(tenant('hooli'));
    await eventually(async () => (await gatewayConfig())?.tenants.some((x) => x.id === 'hooli'));
    expect((await gatewayConfig())?.tenants.find((x) => x.id === 'initech')?.suspended).toBe(false);
    await client.apply(
      {
        ...paused,
        metadata: { name: 'initech', namespace: ns.watch, annotations: { [PAUSED_ANNOTATION]: 'false' } },
      },
      'test',
    );
    await eventually(
      async () => (await gatewayConfig())?.tenants.find((x) => x.id === 'initech')?.suspended === true,
    );
  });
});

describe('ProcessType', () => {
  const deploymentPath = (name: string) =>
    resourcePath('apps/v1', 'Deployment', ns.private, `stargate-handler-${name}`);

  it('becomes a hardened handler Deployment, ConfigMap and PDB in the private namespace, and goes when deleted', async () => {
    await applyProcessType({ ...processType('billing', { builtin: 'billing', replicas: 3 }) });
    const d = await eventually(() => client.get<DeploymentObject>(deploymentPath('billing')));
    expect(d.spec.replicas).toBe(3);
    expect(d.metadata.labels).toMatchObject({
      'stargate.io/process-type': 'billing',
      'stargate.io/owner-namespace': ns.watch,
    });
    const json = JSON.stringify(d.spec);
    expect(json).toContain('"image":"registry.example/stargate:test"');
    expect(json).toContain('{"name":"STARGATE_PROCESS_TYPES","value":"billing"}');
    expect(json).toContain('"secretKeyRef":{"name":"stargate-server-connections","key":"amqp-url"}');
    // Encryption at rest: the keys come from their Secret in the private namespace.
    expect(json).toContain(
      '{"name":"STARGATE_ENCRYPTION_KEYS","valueFrom":{"secretKeyRef":{"name":"stargate-encryption-keys","key":"keys"}}}',
    );
    expect(json).toContain('"readOnlyRootFilesystem":true');
    const cm = await client.get<{ data: Record<string, string> }>(
      resourcePath('v1', 'ConfigMap', ns.private, 'stargate-handler-billing'),
    );
    expect(JSON.parse(cm?.data['server-config.json'] ?? '{}').processTypes[0]).toMatchObject({
      name: 'billing',
      handler: { builtin: 'billing' },
    });
    expect(
      await client.get(
        resourcePath('policy/v1', 'PodDisruptionBudget', ns.private, 'stargate-handler-billing'),
      ),
    ).toBeTruthy();
    const pt = await eventually(async () => {
      const p = await client.get<ProcessType>(ptPath('billing'));
      return p?.status?.queue ? p : undefined;
    });
    expect(pt.status).toMatchObject({
      queue: 'stargate.process.billing',
      handler: 'builtin:billing',
      readyReplicas: 0,
    });
    // No kubelet in this cluster: the pods never become ready, and the condition says so.
    expect(ready(pt)).toMatchObject({ status: 'False', reason: 'HandlerNotReady' });

    await applyProcessType({ ...processType('billing', { image: 'acme/billing:2', replicas: 1 }) });
    await eventually(async () => {
      const x = await client.get<DeploymentObject>(deploymentPath('billing'));
      return x?.spec.replicas === 1 && JSON.stringify(x.spec).includes('"image":"acme/billing:2"');
    });

    await client.delete(ptPath('billing'));
    // The ProcessType goes only once its children are gone (finalizer).
    await eventually(async () => !(await client.get(ptPath('billing'))));
    expect(await client.get(deploymentPath('billing'))).toBeUndefined();
    expect(
      await client.get(resourcePath('v1', 'ConfigMap', ns.private, 'stargate-handler-billing')),
    ).toBeUndefined();
    expect(
      await client.get(
        resourcePath('policy/v1', 'PodDisruptionBudget', ns.private, 'stargate-handler-billing'),
      ),
    ).toBeUndefined();
  });

  it('a missing forward credentials Secret gives Ready=False SecretNotFound and no Deployment, until it exists', async () => {
    await applyProcessType(
      processType('erp', {
        forward: { url: 'http://erp.private/run', credentialsSecretRef: { name: 'erp-token', key: 'token' } },
      }),
    );
    const cond = await eventually(async () => {
      const c = ready(await client.get<ProcessType>(ptPath('erp')));
      return c?.reason === 'SecretNotFound' ? c : undefined;
    });
    expect(cond.status).toBe('False');
    expect(await client.get(deploymentPath('erp'))).toBeUndefined();
    // A Secret the admin has not marked for forwarding (e.g. the store's connection Secret) is refused.
    await client.create(resourcePath('v1', 'Secret', ns.private), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'erp-token' },
      stringData: { token: 'Bearer x' },
    });
    const refused = await eventually(async () => {
      const c = ready(await client.get<ProcessType>(ptPath('erp')));
      return c?.reason === 'SecretNotAllowed' ? c : undefined;
    });
    expect(refused.status).toBe('False');
    expect(await client.get(deploymentPath('erp'))).toBeUndefined();
    await client.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'erp-token',
          namespace: ns.private,
          labels: { 'stargate.io/forward-credentials': 'true' },
        },
      },
      'test',
    );
    const d = await eventually(() => client.get<DeploymentObject>(deploymentPath('erp')));
    expect(JSON.stringify(d.spec)).toContain('"secretKeyRef":{"name":"erp-token","key":"token"}');
    await eventually(
      async () => ready(await client.get<ProcessType>(ptPath('erp')))?.reason === 'HandlerNotReady',
    );
  });

  it('a missing encryption key Secret gives Ready=False EncryptionKeysNotFound and no Deployment, until it exists', async () => {
    await client.delete(resourcePath('v1', 'Secret', ns.private, 'stargate-encryption-keys'));
    try {
      await applyProcessType(processType('ledger', { builtin: 'order' }));
      const cond = await eventually(async () => {
        const c = ready(await client.get<ProcessType>(ptPath('ledger')));
        return c?.reason === 'EncryptionKeysNotFound' ? c : undefined;
      });
      expect(cond).toMatchObject({ status: 'False' });
      expect(cond.message).toContain('Secret "stargate-encryption-keys" with key "keys"');
      expect(await client.get(deploymentPath('ledger'))).toBeUndefined();
    } finally {
      await client.create(resourcePath('v1', 'Secret', ns.private), encryptionKeySecret);
    }
    const d = await eventually(() => client.get<DeploymentObject>(deploymentPath('ledger')));
    expect(JSON.stringify(d.spec)).toContain('"name":"STARGATE_ENCRYPTION_KEYS"');
    // A rotated key list rolls the pods (they read the keys at start) on the next reconcile.
    const keysHash = async () =>
      (
        (await client.get<DeploymentObject>(deploymentPath('ledger')))?.spec.template as
          | { metadata?: { annotations?: Record<string, string> } }
          | undefined
      )?.metadata?.annotations?.['stargate.io/encryption-keys-hash'];
    const before = await keysHash();
    expect(before).toMatch(/^[0-9a-f]{16}$/);
    const rotated = {
      ...encryptionKeySecret,
      metadata: { name: 'stargate-encryption-keys', namespace: ns.private },
      stringData: {
        keys: `k2:${Buffer.alloc(32, 2).toString('base64')},${encryptionKeySecret.stringData.keys}`,
      },
    };
    await client.apply(rotated, 'test');
    await applyProcessType(processType('ledger', { builtin: 'order', replicas: 2 }));
    await eventually(async () => {
      const h = await keysHash();
      return h && h !== before;
    });
  });

  it('a handler image outside the allow-list gives Ready=False ImageNotAllowed and no Deployment', async () => {
    await applyProcessType(processType('miner', { image: 'evil.example/miner:1' }));
    const cond = await eventually(async () => {
      const c = ready(await client.get<ProcessType>(ptPath('miner')));
      return c?.reason === 'ImageNotAllowed' ? c : undefined;
    });
    expect(cond.status).toBe('False');
    expect(cond.message).toContain('server.allowedImages');
    expect(await client.get(deploymentPath('miner'))).toBeUndefined();
  });

  it('a request schema that does not compile gives Ready=InvalidSchema and stays out of the gateway config', async () => {
    await applyProcessType({
      ...processType('broken'),
      spec: { requestSchema: { type: 'no-such-type', required: [] }, handler: { builtin: 'broken' } },
    });
    const cond = await eventually(async () => {
      const c = ready(await client.get<ProcessType>(ptPath('broken')));
      return c?.reason === 'InvalidSchema' ? c : undefined;
    });
    expect(cond.status).toBe('False');
    expect((await gatewayConfig())?.processTypes.some((p) => p.name === 'broken')).toBe(false);
    expect(await client.get(deploymentPath('broken'))).toBeUndefined();
  });

  it('serves /healthz, /readyz and /metrics with reconcile counts', async () => {
    const { startHealthServer } = await import('./health.js');
    const health = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      ready: () => operator.ready(),
      registry: operator.metrics.registry,
    });
    try {
      const base = `http://127.0.0.1:${health.port()}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(
        /stargate_operator_reconcile_total\{controller="Tenant",result="success"\} [1-9]/,
      );
      expect(metrics).toContain('stargate_operator_workqueue_depth');
      expect(metrics).toContain('stargate_operator_leader 1');
    } finally {
      await health.close();
    }
  });
});
