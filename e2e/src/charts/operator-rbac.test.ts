/**
 * The chart's RBAC is enough for the operator, and no more: the chart's ServiceAccounts, Roles
 * and RoleBindings are installed for real in fresh namespaces; the real operator then runs
 * in-process against the kube-apiserver impersonating the chart's ServiceAccount
 * (Impersonate-User: system:serviceaccount:<ns>:<sa>), reconciles a Tenant and a ProcessType,
 * and the same identity is refused what lies outside its Roles.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { startGateway } from '@stargate/gateway';
import { createKubeClient, loadConfig, type Operator, startOperator } from '@stargate/operator';
import { createVhost, eventually, redisPrefix, serviceEnv, uniqueName } from '@stargate/testkit';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespaces, deleteNamespaces, installCrds } from './crds.js';
import { kubectl, type Manifest, REPO_ROOT, render } from './helm.js';

const release = uniqueName('sgrbac');
const ns = { watch: release, public: `${release}-pub`, private: `${release}-priv` };
const operatorUser = `system:serviceaccount:${ns.watch}:sg-stargate-operator`;
/** The key of the gateway configuration in its Secret (agreed runtime interface). */
const GATEWAY_CONFIG_KEY_NAME = 'gateway-config.json';
/** The chart's generated encryption key Secret (release `sg`). */
const ENCRYPTION_KEYS_SECRET = 'sg-stargate-encryption-keys';
const gatewayUser = `system:serviceaccount:${ns.public}:sg-stargate-gateway`;

/** A kubeconfig for the admin's connection that acts as `user`. */
function impersonating(user: string): KubeConfig {
  const admin = new KubeConfig();
  admin.loadFromFile(serviceEnv().kubeconfig);
  const cluster = admin.getCurrentCluster();
  const current = admin.getCurrentUser();
  if (!cluster || !current) throw new Error('the development kubeconfig has no current context');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ ...current, name: 'impersonated', impersonateUser: user }],
    contexts: [{ name: 'impersonated', cluster: cluster.name, user: 'impersonated' }],
    currentContext: 'impersonated',
  });
  return kc;
}

/** The same, as a kubeconfig file (`as:`), for code that loads one from disk like the gateway. */
function impersonatingKubeconfigYaml(user: string): string {
  // JSON is YAML: the exported object is a valid kubeconfig file as it is.
  return impersonating(user).exportConfig();
}

const run = promisify(execFile);

async function canI(user: string, verb: string, resource: string, namespace?: string): Promise<boolean> {
  // `kind/name` names an object; `kind//sub` (our notation) asks about a subresource.
  const [kind, sub] = resource.split('//');
  const args = ['auth', 'can-i', verb, kind ?? resource, `--as=${user}`];
  if (sub) args.push(`--subresource=${sub}`);
  args.push(namespace ? `--namespace=${namespace}` : '--all-namespaces=false');
  const { stdout } = await kubectl(args).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  return stdout.trim() === 'yes';
}

/** kubectl as `user`; resolves to the error text when refused. */
async function asUser(user: string, args: string[], input?: string): Promise<string> {
  return kubectl([...args, `--as=${user}`], input).then(
    (r) => r.stdout,
    (err: { stderr?: string }) => err.stderr ?? String(err),
  );
}

beforeAll(async () => {
  await installCrds();
  // The operator's Role names KEDA's resources, and `kubectl auth can-i` only answers for types
  // the API server serves: the same stand-in CRDs as the operator's autoscaling tests.
  await kubectl([
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=stargate-keda-test-crds',
    '-f',
    `${REPO_ROOT}operator/src/testing/keda-crds.yaml`,
  ]);
  await kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/scaledobjects.keda.sh',
    'crd/triggerauthentications.keda.sh',
  ]);
  await createNamespaces([ns.watch, ns.public, ns.private]);
  const docs = await render({
    namespace: ns.watch,
    set: { 'namespaces.create': false, 'namespaces.public': ns.public, 'namespaces.private': ns.private },
  });
  // The RBAC, and the encryption key Secret the operator checks for before making a handler.
  const rbac = docs.filter(
    (d: Manifest) =>
      ['ServiceAccount', 'Role', 'RoleBinding'].includes(d.kind) ||
      (d.kind === 'Secret' && d.metadata.name === ENCRYPTION_KEYS_SECRET),
  );
  await kubectl(
    ['apply', '--server-side', '--field-manager=helm', '-f', '-'],
    rbac.map((d) => JSON.stringify(d)).join('\n'),
  );
});

afterAll(async () => {
  await deleteNamespaces([ns.watch, ns.public, ns.private]);
});

describe("the operator's ServiceAccount", () => {
  it('may do what reconciling needs, in the right namespaces', async () => {
    const allowed: [string, string, string][] = [
      ['watch', 'tenants.stargate.io', ns.watch],
      ['patch', 'tenants.stargate.io//status', ns.watch],
      ['update', 'processtypes.stargate.io//finalizers', ns.watch],
      ['create', 'secrets', ns.watch],
      ['create', 'events', ns.watch],
      ['create', 'leases.coordination.k8s.io', ns.watch],
      ['patch', 'secrets/stargate-gateway-config', ns.public],
      ['create', 'deployments.apps', ns.private],
      ['delete', 'poddisruptionbudgets.policy', ns.private],
      ['patch', 'configmaps', ns.private],
      ['patch', 'scaledobjects.keda.sh', ns.private],
    ];
    for (const [verb, resource, namespace] of allowed) {
      expect(await canI(operatorUser, verb, resource, namespace), `${verb} ${resource} in ${namespace}`).toBe(
        true,
      );
    }
  });

  it('is refused everything else: other namespaces, cluster scope, other Secrets, workloads in the public zone', async () => {
    const refused: [string, string, string | undefined][] = [
      ['get', 'secrets', 'kube-system'],
      ['list', 'secrets', ns.private],
      ['get', 'secrets/sg-stargate-redis', ns.public],
      ['create', 'deployments.apps', ns.public],
      ['create', 'deployments.apps', ns.watch],
      ['create', 'pods', ns.private],
      ['create', 'pods/exec', ns.private],
      ['create', 'clusterroles.rbac.authorization.k8s.io', undefined],
      ['create', 'rolebindings.rbac.authorization.k8s.io', ns.watch],
      ['delete', 'namespaces', undefined],
      ['update', 'customresourcedefinitions.apiextensions.k8s.io', undefined],
      ['update', 'leases.coordination.k8s.io/kube-controller-manager', 'kube-system'],
    ];
    for (const [verb, resource, namespace] of refused) {
      expect(await canI(operatorUser, verb, resource, namespace), `${verb} ${resource} in ${namespace}`).toBe(
        false,
      );
    }
    const secrets = await asUser(operatorUser, ['get', 'secrets', '-n', 'kube-system']);
    expect(secrets).toContain('Forbidden');
    const clusterRole = await asUser(
      operatorUser,
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: `${release}-escalate` },
        rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
      }),
    );
    expect(clusterRole).toContain('Forbidden');
  });
});

describe("the gateway's ServiceAccount", () => {
  it('may read its configuration Secret and nothing else', async () => {
    expect(await canI(gatewayUser, 'get', 'secrets/stargate-gateway-config', ns.public)).toBe(true);
    expect(await canI(gatewayUser, 'watch', 'secrets/stargate-gateway-config', ns.public)).toBe(true);
    expect(await canI(gatewayUser, 'get', 'secrets/sg-stargate-redis', ns.public)).toBe(false);
    expect(await canI(gatewayUser, 'list', 'secrets', ns.public)).toBe(false);
    expect(await canI(gatewayUser, 'patch', 'secrets/stargate-gateway-config', ns.public)).toBe(false);
    expect(await canI(gatewayUser, 'get', 'secrets', ns.private)).toBe(false);
    expect(await canI(gatewayUser, 'list', 'tenants.stargate.io', ns.watch)).toBe(false);
  });
});

describe('the operator running with only the chart RBAC', () => {
  let operator: Operator | undefined;
  let secretName = '';

  afterAll(async () => {
    const t0 = Date.now();
    await operator?.close();
    if (process.env.STARGATE_DEBUG_CLOSE) console.log(`operator.close() took ${Date.now() - t0} ms`);
    // If the test failed half-way, finalizers would keep the resources (and namespace) forever.
    for (const r of ['tenant/acme', 'processtype/order']) {
      await kubectl([
        'patch',
        r,
        '-n',
        ns.watch,
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      ]).catch(() => undefined);
    }
  });

  it('reconciles a ProcessType and a Tenant', async () => {
    const config = loadConfig({
      STARGATE_WATCH_NAMESPACE: ns.watch,
      STARGATE_GATEWAY_NAMESPACE: ns.public,
      STARGATE_PRIVATE_NAMESPACE: ns.private,
      STARGATE_HANDLER_IMAGE: 'ghcr.io/stargate/stargate:0.1.0',
      STARGATE_TOKEN_URL: 'https://stargate.example.com/oauth/token',
      POD_NAME: `${release}-operator-0`,
      STARGATE_ENCRYPTION_KEYS_SECRET_NAME: ENCRYPTION_KEYS_SECRET,
    });
    operator = startOperator({
      client: createKubeClient(impersonating(operatorUser)),
      config,
      logger: pino({ level: 'silent' }),
      leaseDurationMs: 4000,
      renewDeadlineMs: 3000,
      retryPeriodMs: 500,
    });

    await kubectl(
      ['apply', '-n', ns.watch, '-f', '-'],
      [
        {
          apiVersion: 'stargate.io/v1alpha1',
          kind: 'ProcessType',
          metadata: { name: 'order' },
          spec: {
            requestSchema: { type: 'object', properties: { sku: { type: 'string' } } },
            handler: { builtin: 'order', replicas: 1 },
          },
        },
        {
          apiVersion: 'stargate.io/v1alpha1',
          kind: 'Tenant',
          metadata: { name: 'acme' },
          spec: { displayName: 'ACME', processTypes: [{ name: 'order' }] },
        },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );

    // The handler Deployment in the private zone (no kubelet here, so it never becomes ready).
    const deployment = await eventually(
      async () => {
        const { stdout } = await kubectl(['get', 'deployments', '-n', ns.private, '-o', 'json']);
        const items = JSON.parse(stdout).items as {
          spec: {
            template: {
              spec: { containers: { image: string; env?: { name: string; valueFrom?: unknown }[] }[] };
            };
          };
        }[];
        expect(items).toHaveLength(1);
        return items[0];
      },
      30_000,
      250,
    );
    expect(deployment?.spec.template.spec.containers[0]?.image).toBe('ghcr.io/stargate/stargate:0.1.0');
    expect(
      deployment?.spec.template.spec.containers[0]?.env?.find((e) => e.name === 'STARGATE_ENCRYPTION_KEYS')
        ?.valueFrom,
    ).toEqual({ secretKeyRef: { name: ENCRYPTION_KEYS_SECRET, key: 'keys' } });

    // The Tenant becomes Ready with credentials in its own namespace…
    const tenant = await eventually(
      async () => {
        const { stdout } = await kubectl(['get', 'tenant', 'acme', '-n', ns.watch, '-o', 'json']);
        const t = JSON.parse(stdout) as {
          status?: { secretName?: string; conditions?: { type: string; status: string }[] };
        };
        expect(t.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
        return t;
      },
      30_000,
      250,
    );
    secretName = tenant.status?.secretName ?? '';
    const { stdout: secretJson } = await kubectl(['get', 'secret', secretName, '-n', ns.watch, '-o', 'json']);
    const secretData = JSON.parse(secretJson).data as Record<string, string>;
    expect(Buffer.from(secretData['token-url'] ?? '', 'base64').toString()).toBe(
      'https://stargate.example.com/oauth/token',
    );

    // …and the gateway configuration Secret the gateway's ServiceAccount may read lists it.
    const gatewayConfig = await eventually(
      async () => {
        const out = await asUser(gatewayUser, [
          'get',
          'secret',
          'stargate-gateway-config',
          '-n',
          ns.public,
          '-o',
          'json',
        ]);
        const data = JSON.parse(out).data as Record<string, string>;
        const doc = JSON.parse(Buffer.from(data[GATEWAY_CONFIG_KEY_NAME] ?? '', 'base64').toString()) as {
          tenants: { id: string }[];
          processTypes: { name: string }[];
        };
        expect(doc.tenants.map((t) => t.id)).toEqual(['acme']);
        return doc;
      },
      30_000,
      250,
    );
    expect(gatewayConfig.processTypes.map((p) => p.name)).toEqual(['order']);

    // Nothing it tried was refused.
    const errors = await operator.metrics.registry.getSingleMetricAsString(
      'stargate_operator_reconcile_errors_total',
    );
    expect(errors).not.toMatch(/ [1-9][0-9]*$/m);
  });

  it("lets the gateway, as its ServiceAccount, load that configuration and issue the tenant a token signed with the chart's key", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sg-rbac-'));
    try {
      // The signing key exactly as the chart generates it, converted by the init container's script.
      const docs = await render({ namespace: ns.watch });
      const keySecret = docs.find(
        (d) => d.kind === 'Secret' && d.metadata.name === 'sg-stargate-signing-keys',
      ) as (Manifest & { data: Record<string, string> }) | undefined;
      const gw = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'sg-stargate-gateway') as
        | V1Deployment
        | undefined;
      const script = gw?.spec?.template.spec?.initContainers?.[0]?.command?.[2] ?? '';
      await mkdir(join(dir, 'in'));
      await mkdir(join(dir, 'keys'));
      for (const [file, b64] of Object.entries(keySecret?.data ?? {})) {
        await writeFile(join(dir, 'in', file), Buffer.from(b64, 'base64'));
      }
      expect(await readFile(join(dir, 'in', 'generated-1.pem'), 'utf8')).toContain('BEGIN EC PRIVATE KEY');
      await run(process.execPath, [
        '-e',
        script
          .replaceAll("'/keys-in/'", JSON.stringify(`${dir}/in/`))
          .replaceAll("'/keys-in'", JSON.stringify(`${dir}/in`))
          .replaceAll("'/keys/'", JSON.stringify(`${dir}/keys/`)),
      ]);
      expect(await readFile(join(dir, 'keys', 'generated-1.pem'), 'utf8')).toContain('BEGIN PRIVATE KEY');

      const kubeconfig = join(dir, 'kubeconfig');
      await writeFile(kubeconfig, impersonatingKubeconfigYaml(gatewayUser));
      const vhost = await createVhost('sgrbac');
      const gateway = await startGateway({
        kubernetes: { namespace: ns.public, name: 'stargate-gateway-config', kubeconfig },
        redisUrl: serviceEnv().redisUrl,
        redisPrefix: redisPrefix('sgrbac'),
        amqpUrl: vhost.url,
        signingKeysDir: join(dir, 'keys'),
        logLevel: 'silent',
      });
      try {
        const { stdout } = await kubectl(['get', 'secret', secretName, '-n', ns.watch, '-o', 'json']);
        const data = JSON.parse(stdout).data as Record<string, string>;
        const field = (k: string) => Buffer.from(data[k] ?? '', 'base64').toString('utf8');
        const res = await fetch(`${gateway.url}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: field('client-id'),
            client_secret: field('client-secret'),
          }),
        });
        expect(res.status).toBe(200);
        const token = ((await res.json()) as { access_token: string }).access_token;
        const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as {
          alg: string;
          kid: string;
        };
        expect(header).toEqual(expect.objectContaining({ alg: 'ES256', kid: 'generated-1' }));
      } finally {
        await gateway.close();
        await vhost.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('cleans up when the Tenant and ProcessType are deleted', async () => {
    // Deleting runs the finalizers: credentials and handler go away, the resources disappear.
    await kubectl([
      'delete',
      'tenant/acme',
      'processtype/order',
      '-n',
      ns.watch,
      '--wait=true',
      '--timeout=30s',
    ]);
    await eventually(
      async () => {
        const { stdout } = await kubectl(['get', 'deployments,secrets', '-n', ns.private, '-o', 'name']);
        // Only the chart's own encryption key Secret stays: nothing the operator made.
        expect(stdout.trim()).toBe(`secret/${ENCRYPTION_KEYS_SECRET}`);
        const { stdout: left } = await kubectl([
          'get',
          'secret',
          secretName,
          '-n',
          ns.watch,
          '--ignore-not-found',
        ]);
        expect(left.trim()).toBe('');
        return true;
      },
      30_000,
      250,
    );
  });
});
