/**
 * What `helm lint` and `helm template` say about charts/stargate, and what the rendered
 * manifests promise: hardened pods, resources everywhere, probes, the zone NetworkPolicies,
 * least-privilege RBAC and no secret in values.
 */
import { readdir, readFile } from 'node:fs/promises';
import type {
  V1Container,
  V1Deployment,
  V1Ingress,
  V1NetworkPolicy,
  V1NetworkPolicyIngressRule,
  V1NetworkPolicyPeer,
  V1Namespace,
  V1PodSpec,
  V1Role,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  CHART_DIR,
  find,
  helm,
  type Manifest,
  ofKind,
  REPO_ROOT,
  render,
  renderError,
  VALUES_FILES,
} from './helm.js';

const rendered = new Map<string, Manifest[]>();
beforeAll(async () => {
  for (const file of VALUES_FILES) rendered.set(file, await render({ valuesFile: file }));
});
const docsOf = (file: string): Manifest[] => rendered.get(file) ?? [];

function podSpecs(docs: Manifest[]): { name: string; spec: V1PodSpec }[] {
  return docs
    .filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet')
    .map((d) => ({
      name: `${d.kind}/${d.metadata.name}`,
      spec: (d as V1Deployment | V1StatefulSet).spec?.template.spec as V1PodSpec,
    }));
}

/** Rendered YAML says `from`; the client library's type calls it `_from`. */
function peersFrom(rule: V1NetworkPolicyIngressRule | undefined): V1NetworkPolicyPeer[] {
  return (rule as { from?: V1NetworkPolicyPeer[] } | undefined)?.from ?? [];
}

function allContainers(spec: V1PodSpec): V1Container[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

describe('helm lint and template', () => {
  it.each(VALUES_FILES)('lints cleanly with %s', async (file) => {
    const { stdout } = await helm(['lint', CHART_DIR, '--strict', '-f', `${CHART_DIR}/${file}`]);
    expect(stdout).toContain('0 chart(s) failed');
  });

  it.each(VALUES_FILES)('renders %s into the parts of StarGate', (file) => {
    const docs = docsOf(file);
    expect(find(docs, 'Deployment', 'sg-stargate-gateway').metadata.namespace).toBe('stargate-public');
    expect(find(docs, 'Deployment', 'sg-stargate-operator').metadata.namespace).toBe('stargate-system');
    expect(ofKind(docs, 'NetworkPolicy').length).toBeGreaterThanOrEqual(3);
  });

  it('refuses a typo in values (values.schema.json)', async () => {
    const err = await renderError({ set: { 'gateway.replcas': 3 } });
    expect(err).toContain("additional properties 'replcas' not allowed");
  });

  it('refuses a container without limits and a store without credentials', async () => {
    expect(await renderError({ set: { 'gateway.resources.limits': 'null' } })).toContain(
      "missing property 'limits'",
    );
    expect(await renderError({ set: { 'redis.builtin.enabled': false } })).toContain(
      'redis.existingSecret is required',
    );
  });

  it('carries the CRDs of crds/ unchanged (run charts/sync-crds.sh after changing them)', async () => {
    const top = (await readdir(`${REPO_ROOT}crds`)).filter((f) => f.endsWith('.yaml')).sort();
    const copy = (await readdir(`${CHART_DIR}/crds`)).filter((f) => f.endsWith('.yaml')).sort();
    expect(copy).toEqual(top);
    for (const f of top) {
      expect(await readFile(`${CHART_DIR}/crds/${f}`, 'utf8'), f).toBe(
        await readFile(`${REPO_ROOT}crds/${f}`, 'utf8'),
      );
    }
  });
});

describe.each(VALUES_FILES)('pods rendered from %s', (file) => {
  it('run non-root with a read-only root filesystem, no capabilities and seccomp RuntimeDefault', () => {
    const pods = podSpecs(docsOf(file));
    expect(pods.length).toBeGreaterThan(0);
    for (const { name, spec } of pods) {
      expect(spec.securityContext?.runAsNonRoot, name).toBe(true);
      expect(spec.securityContext?.runAsUser, name).toBeGreaterThan(0);
      expect(spec.securityContext?.seccompProfile?.type, name).toBe('RuntimeDefault');
      for (const c of allContainers(spec)) {
        expect(c.securityContext?.readOnlyRootFilesystem, `${name} ${c.name}`).toBe(true);
        expect(c.securityContext?.allowPrivilegeEscalation, `${name} ${c.name}`).toBe(false);
        expect(c.securityContext?.capabilities?.drop, `${name} ${c.name}`).toEqual(['ALL']);
        expect(c.securityContext?.capabilities?.add ?? [], `${name} ${c.name}`).toEqual([]);
      }
    }
  });

  it('set CPU and memory requests and limits on every container', () => {
    for (const { name, spec } of podSpecs(docsOf(file))) {
      for (const c of allContainers(spec)) {
        for (const kind of ['requests', 'limits'] as const) {
          expect(c.resources?.[kind]?.cpu, `${name} ${c.name} ${kind}.cpu`).toBeTruthy();
          expect(c.resources?.[kind]?.memory, `${name} ${c.name} ${kind}.memory`).toBeTruthy();
        }
      }
    }
  });

  it('probe the gateway on /health/startup, /health/live and /health/ready, the operator on /healthz and /readyz', () => {
    const docs = docsOf(file);
    const gw = find<V1Deployment>(docs, 'Deployment', 'sg-stargate-gateway').spec?.template.spec
      ?.containers[0];
    expect(gw?.startupProbe?.httpGet?.path).toBe('/health/startup');
    expect(gw?.livenessProbe?.httpGet?.path).toBe('/health/live');
    expect(gw?.readinessProbe?.httpGet?.path).toBe('/health/ready');
    expect(gw?.command).toEqual(['node', 'gateway/dist/main.js']);
    const op = find<V1Deployment>(docs, 'Deployment', 'sg-stargate-operator').spec?.template.spec
      ?.containers[0];
    expect(op?.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(op?.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(op?.command).toEqual(['node', 'operator/dist/main.js']);
    for (const { name, spec } of podSpecs(docs)) {
      for (const c of spec.containers) {
        expect(c.readinessProbe, `${name} ${c.name}`).toBeDefined();
        expect(c.livenessProbe, `${name} ${c.name}`).toBeDefined();
      }
    }
  });

  it('never put a credential into a plain environment value', () => {
    // URLs that carry no credentials; every other *_URL embeds a password.
    const PUBLIC_URLS = new Set(['STARGATE_PUBLIC_URL', 'STARGATE_TOKEN_URL']);
    for (const { name, spec } of podSpecs(docsOf(file))) {
      for (const c of allContainers(spec)) {
        for (const env of c.env ?? []) {
          if (/(_URL|_PASS|PASSWORD|SECRET|_KEYS)$/.test(env.name) && !PUBLIC_URLS.has(env.name)) {
            expect(env.valueFrom?.secretKeyRef, `${name} ${c.name} ${env.name}`).toBeDefined();
          }
        }
      }
    }
  });
});

describe('the zones and their NetworkPolicies', () => {
  const policies = (file: string) => ofKind<V1NetworkPolicy>(docsOf(file), 'NetworkPolicy');
  const mongoPorts = [27017];

  function egressPorts(np: V1NetworkPolicy): number[] {
    return (np.spec?.egress ?? []).flatMap((r) => (r.ports ?? []).map((p) => Number(p.port)));
  }
  function egressPeers(np: V1NetworkPolicy): V1NetworkPolicyPeer[] {
    return (np.spec?.egress ?? []).flatMap((r) => r.to ?? []);
  }

  it.each(VALUES_FILES)('%s: the gateway can never reach MongoDB or the private namespace', (file) => {
    const gw = policies(file).find((p) => p.metadata?.name === 'sg-stargate-gateway');
    expect(gw?.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    for (const port of mongoPorts) expect(egressPorts(gw as V1NetworkPolicy)).not.toContain(port);
    for (const peer of egressPeers(gw as V1NetworkPolicy)) {
      expect(peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']).not.toBe(
        'stargate-private',
      );
      expect(peer.podSelector?.matchLabels?.['app.kubernetes.io/component']).not.toBe('mongodb');
    }
    // Every egress rule names its ports: no "anything anywhere" rule.
    for (const rule of gw?.spec?.egress ?? []) expect(rule.ports?.length).toBeGreaterThan(0);
  });

  it.each(VALUES_FILES)('%s: nothing from another namespace gets into the private namespace', (file) => {
    const inPrivate = policies(file).filter((p) => p.metadata?.namespace === 'stargate-private');
    const zone = inPrivate.find((p) => p.metadata?.name === 'sg-stargate-private-zone');
    expect(zone?.spec?.podSelector).toEqual({});
    expect(zone?.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    const monitoring = file === 'values-production.yaml' ? 'monitoring' : undefined;
    for (const np of inPrivate) {
      for (const rule of np.spec?.ingress ?? []) {
        for (const peer of peersFrom(rule)) {
          // Only the configured Prometheus namespace, only to the metrics port.
          if (peer.namespaceSelector) {
            expect(peer.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name']).toBe(monitoring);
            expect(rule.ports?.map((p) => p.port)).toEqual([9090]);
          }
          expect(peer.ipBlock).toBeUndefined();
        }
      }
    }
  });

  it('the private zone talks only to RabbitMQ, MongoDB and DNS', () => {
    const zone = policies('values.yaml').find((p) => p.metadata?.name === 'sg-stargate-private-zone');
    expect(new Set(egressPorts(zone as V1NetworkPolicy))).toEqual(new Set([53, 5672, 27017]));
    const components = egressPeers(zone as V1NetworkPolicy).map(
      (p) => p.podSelector?.matchLabels?.['app.kubernetes.io/component'],
    );
    expect(components.sort()).toEqual(['mongodb', 'rabbitmq']);
    expect(components).not.toContain('redis');
  });

  it('built-in MongoDB answers only the handler pods; Redis only the gateway', () => {
    const mongo = policies('values.yaml').find((p) => p.metadata?.name === 'sg-stargate-mongodb');
    expect(mongo?.spec?.ingress).toEqual([
      {
        ports: [{ protocol: 'TCP', port: 27017 }],
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/managed-by': 'stargate-operator' } } }],
      },
    ]);
    const redis = policies('values.yaml').find((p) => p.metadata?.name === 'sg-stargate-redis');
    const from = peersFrom(redis?.spec?.ingress?.[0]);
    expect(from.map((p) => p.podSelector?.matchLabels?.['app.kubernetes.io/component'])).toEqual(['gateway']);
    expect(redis?.spec?.egress).toEqual([]);
  });

  it('production restricts the gateway to the ingress controller and external stores to their CIDRs', () => {
    const gw = policies('values-production.yaml').find((p) => p.metadata?.name === 'sg-stargate-gateway');
    const from = peersFrom(gw?.spec?.ingress?.[0]);
    expect(from.map((p) => p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'])).toEqual([
      'ingress-nginx',
      'monitoring',
    ]);
    const cidrs = egressPeers(gw as V1NetworkPolicy).map((p) => p.ipBlock?.cidr);
    expect(cidrs).toContain('10.20.0.0/16');
    expect(cidrs).toContain('10.21.0.0/16');
    expect(cidrs).not.toContain('10.22.0.0/16');
  });

  it('the namespaces it creates enforce the restricted Pod Security profile', () => {
    const ns = ofKind<V1Namespace>(docsOf('values.yaml'), 'Namespace');
    expect(ns.map((n) => n.metadata?.name).sort()).toEqual(['stargate-private', 'stargate-public']);
    for (const n of ns) expect(n.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });
});

describe('RBAC', () => {
  const roles = (file: string) => ofKind<V1Role>(docsOf(file), 'Role');

  it.each(VALUES_FILES)(
    '%s: no ClusterRole, no wildcard, no pod exec, only a read of Secrets in the private zone',
    (file) => {
      const docs = docsOf(file);
      expect(ofKind(docs, 'ClusterRole')).toEqual([]);
      expect(ofKind(docs, 'ClusterRoleBinding')).toEqual([]);
      for (const role of roles(file)) {
        for (const rule of role.rules ?? []) {
          expect(rule.verbs).not.toContain('*');
          expect(rule.resources).not.toContain('*');
          expect(rule.apiGroups).not.toContain('*');
          expect(rule.resources).not.toContain('pods/exec');
          // In the private zone the operator may only check that a referenced Secret exists.
          if (rule.resources?.includes('secrets') && role.metadata?.namespace === 'stargate-private') {
            expect(rule.verbs).toEqual(['get']);
          }
        }
      }
    },
  );

  it('the operator may touch handler Deployments only in the private namespace and its Lease only by name', () => {
    const handlers = find<V1Role>(docsOf('values.yaml'), 'Role', 'sg-stargate-operator-handlers');
    expect(handlers.metadata?.namespace).toBe('stargate-private');
    expect(handlers.rules?.flatMap((r) => r.resources)).toEqual([
      'deployments',
      'configmaps',
      'poddisruptionbudgets',
      'scaledobjects',
      'triggerauthentications',
      'secrets',
    ]);
    const lease = find<V1Role>(docsOf('values.yaml'), 'Role', 'sg-stargate-operator-resources');
    expect(
      lease.rules?.find((r) => r.resources?.includes('leases') && r.verbs.includes('update'))?.resourceNames,
    ).toEqual(['stargate-operator']);
    const gwConfig = find<V1Role>(docsOf('values.yaml'), 'Role', 'sg-stargate-operator-gateway-config');
    expect(gwConfig.rules?.find((r) => r.verbs.includes('patch'))?.resourceNames).toEqual([
      'stargate-gateway-config',
    ]);
  });

  it('grants the operator exactly the rules of operator/deploy/rbac.yaml, zone by zone', async () => {
    type Rule = { apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; verbs: string[] };
    const norm = (rules: Rule[]) =>
      rules
        .map((r) =>
          JSON.stringify({
            apiGroups: [...(r.apiGroups ?? [])].sort(),
            resources: [...(r.resources ?? [])].sort(),
            resourceNames: [...(r.resourceNames ?? [])].sort(),
            verbs: [...r.verbs].sort(),
          }),
        )
        .sort();
    const zones = { 'stargate-system': 'watch', 'stargate-public': 'public', 'stargate-private': 'private' };
    const byZone = (roles: { metadata?: { namespace?: string }; rules?: Rule[] }[]) => {
      const out: Record<string, string[]> = {};
      for (const r of roles) {
        const zone =
          zones[(r.metadata?.namespace ?? '') as keyof typeof zones] ?? r.metadata?.namespace ?? '';
        out[zone] = norm([...(out[zone] ?? []).map((j) => JSON.parse(j) as Rule), ...(r.rules ?? [])]);
      }
      return out;
    };
    const operatorDocs = parseAllDocuments(await readFile(`${REPO_ROOT}operator/deploy/rbac.yaml`, 'utf8'))
      .map((d) => d.toJS() as Manifest)
      .filter((d) => d?.kind === 'Role');
    const chartRoles = roles('values.yaml').filter((r) =>
      r.metadata?.name?.startsWith('sg-stargate-operator'),
    );
    expect(byZone(chartRoles)).toEqual(byZone(operatorDocs as V1Role[]));
  });

  it('the gateway may read exactly one Secret: its configuration', () => {
    const role = find<V1Role>(docsOf('values.yaml'), 'Role', 'sg-stargate-gateway');
    expect(role.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['stargate-gateway-config'],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
  });
});

describe('values', () => {
  it('production runs no built-in store and reads every credential from an existing Secret', () => {
    const docs = docsOf('values-production.yaml');
    expect(ofKind(docs, 'StatefulSet')).toEqual([]);
    expect(ofKind(docs, 'Secret')).toEqual([]);
    const env = find<V1Deployment>(docs, 'Deployment', 'sg-stargate-gateway').spec?.template.spec
      ?.containers[0]?.env;
    const byName = new Map((env ?? []).map((e) => [e.name, e]));
    expect(byName.get('STARGATE_REDIS_URL')?.valueFrom?.secretKeyRef?.name).toBe('stargate-redis');
    expect(byName.get('STARGATE_AMQP_URL')?.valueFrom?.secretKeyRef?.name).toBe('stargate-rabbitmq');
    expect(byName.get('STARGATE_REDIS_MODE')?.value).toBe('sentinel');
    expect(byName.get('STARGATE_REDIS_SENTINELS')?.value?.split(',')).toHaveLength(3);
  });

  it('no values file holds a password, token or key', async () => {
    for (const file of VALUES_FILES) {
      const text = await readFile(`${CHART_DIR}/${file}`, 'utf8');
      expect(text, file).not.toMatch(/^\s*(password|token|secret|clientSecret)\s*:\s*\S/im);
      expect(text, file).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
    }
  });

  it('helm template without a cluster refuses to generate secrets, and says what to do instead', async () => {
    const err = await renderError({ set: { 'generatedSecrets.allowWithoutCluster': false } });
    expect(err).toContain('cannot generate a password');
    expect(err).toContain('generatedSecrets.allowWithoutCluster=true');
    expect(err).toContain('gateway.signingKeys.existingSecret');
    // Production points at existing Secrets only: it renders anywhere.
    const docs = await render({
      valuesFile: 'values-production.yaml',
      set: { 'generatedSecrets.allowWithoutCluster': false },
    });
    expect(docs.length).toBeGreaterThan(10);
  });

  it('the quick start generates each store password once and uses it consistently', () => {
    const docs = docsOf('values.yaml');
    type Secret = Manifest & { stringData: Record<string, string> };
    const rabbit = find<Secret>(docs, 'Secret', 'sg-stargate-rabbitmq');
    const mongo = find<Secret>(docs, 'Secret', 'sg-stargate-mongodb');
    const conn = find<Secret>(docs, 'Secret', 'stargate-server-connections');
    expect(rabbit.stringData.password).toMatch(/^[A-Za-z0-9]{32}$/);
    // One RabbitMQ user per zone: the gateway's URL and the handlers' differ, neither is the administrator.
    const { password, 'gateway-password': gatewayPw, 'server-password': serverPw } = rabbit.stringData;
    expect(new Set([password, gatewayPw, serverPw]).size).toBe(3);
    expect(rabbit.stringData.url).toContain(
      `stargate-gateway:${gatewayPw}@sg-stargate-rabbitmq.stargate-public.svc:5672`,
    );
    expect(conn.stringData['amqp-url']).toContain(
      `stargate-server:${serverPw}@sg-stargate-rabbitmq.stargate-public.svc:5672`,
    );
    expect(mongo.metadata.namespace).toBe('stargate-private');
    // Handlers get their own MongoDB user of the stargate database, not the root user.
    const { password: rootPw, 'server-password': handlerPw } = mongo.stringData;
    expect(handlerPw).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(handlerPw).not.toBe(rootPw);
    expect(conn.stringData['mongo-url']).toBe(
      `mongodb://stargate-server:${handlerPw}@sg-stargate-mongodb.stargate-private.svc:27017/stargate?authSource=stargate`,
    );
    expect(conn.stringData['mongo-url']).toBe(mongo.stringData['server-url']);
    expect(mongo.stringData.url).toContain(`stargate:${rootPw}@`);
  });

  it('only the store-user sidecar beside MongoDB holds its root password, and it keeps the handlers user in place', () => {
    const docs = docsOf('values.yaml');
    const holders: string[] = [];
    for (const { name, spec } of podSpecs(docs)) {
      for (const c of allContainers(spec)) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref?.name === 'sg-stargate-mongodb' && ref.key === 'password')
            holders.push(`${name} ${c.name}`);
        }
      }
    }
    // The mongodb container initialises the root user; the sidecar uses it to make the handlers' user.
    expect(holders.sort()).toEqual([
      'StatefulSet/sg-stargate-mongodb mongodb',
      'StatefulSet/sg-stargate-mongodb store-user',
    ]);
    const pod = find<V1StatefulSet>(docs, 'StatefulSet', 'sg-stargate-mongodb').spec?.template.spec;
    const sidecar = pod?.containers.find((c) => c.name === 'store-user');
    expect(sidecar?.command).toEqual(['node', 'server/dist/store-user/main.js']);
    // The image's own user, hardened like every container.
    expect(sidecar?.securityContext).toMatchObject({
      runAsUser: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(sidecar?.image).toBe(
      find<V1Deployment>(docs, 'Deployment', 'sg-stargate-operator').spec?.template.spec?.containers[0]
        ?.image,
    );
    const env = new Map((sidecar?.env ?? []).map((e) => [e.name, e]));
    expect(env.get('STARGATE_MONGO_SERVER_USERNAME')?.value).toBe('stargate-server');
    expect(env.get('STARGATE_MONGO_SERVER_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
      name: 'sg-stargate-mongodb',
      key: 'server-password',
    });
  });

  it('encryption at rest is on by default: a generated key in the private zone, kept on uninstall, wired by the operator', () => {
    const docs = docsOf('values.yaml');
    type Secret = Manifest & {
      data: Record<string, string>;
      metadata: { annotations?: Record<string, string> };
    };
    const keys = find<Secret>(docs, 'Secret', 'sg-stargate-encryption-keys');
    expect(keys.metadata.namespace).toBe('stargate-private');
    expect(keys.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    const [kid, key] = Buffer.from(keys.data.keys ?? '', 'base64')
      .toString()
      .split(':');
    expect(kid).toBe('k1');
    expect(Buffer.from(key ?? '', 'base64')).toHaveLength(32);
    const env = (file: string) =>
      new Map(
        (
          find<V1Deployment>(docsOf(file), 'Deployment', 'sg-stargate-operator').spec?.template.spec
            ?.containers[0]?.env ?? []
        ).map((e) => [e.name, e.value]),
      );
    expect(env('values.yaml').get('STARGATE_ENCRYPTION_AT_REST')).toBe('true');
    expect(env('values.yaml').get('STARGATE_ENCRYPTION_KEYS_SECRET_NAME')).toBe(
      'sg-stargate-encryption-keys',
    );
    expect(env('values.yaml').get('STARGATE_ENCRYPTION_KEYS_SECRET_KEY')).toBe('keys');
    // Production brings its own key Secret (and backs it up).
    expect(env('values-production.yaml').get('STARGATE_ENCRYPTION_KEYS_SECRET_NAME')).toBe(
      'stargate-encryption-keys',
    );
  });

  it('encryption at rest can be switched off, and without a cluster its key is not drawn', async () => {
    const off = await render({ set: { 'server.encryption.enabled': false } });
    expect(off.some((d) => d.kind === 'Secret' && d.metadata.name.endsWith('encryption-keys'))).toBe(false);
    const env = find<V1Deployment>(off, 'Deployment', 'sg-stargate-operator').spec?.template.spec
      ?.containers[0]?.env;
    expect(env?.find((e) => e.name === 'STARGATE_ENCRYPTION_AT_REST')?.value).toBe('false');
    expect(env?.some((e) => e.name === 'STARGATE_ENCRYPTION_KEYS_SECRET_NAME')).toBe(false);
    const err = await renderError({
      valuesFile: 'values-production.yaml',
      set: { 'generatedSecrets.allowWithoutCluster': false, 'server.encryption.existingSecret': '' },
    });
    expect(err).toContain('cannot generate an encryption key');
    expect(err).toContain('server.encryption.existingSecret');
  });

  it('the Ingress exposes only /api, /oauth and /.well-known', () => {
    const ing = find<V1Ingress>(docsOf('values-production.yaml'), 'Ingress', 'sg-stargate-gateway');
    const paths = ing.spec?.rules?.[0]?.http?.paths.map((p) => `${p.pathType} ${p.path}`);
    expect(paths).toEqual(['Prefix /api', 'Prefix /oauth', 'Prefix /.well-known']);
    expect(ing.spec?.tls?.[0]?.secretName).toBe('stargate-tls');
  });

  it('production turns on autoscaling, a disruption budget, ServiceMonitor, alerts and the dashboard', () => {
    const docs = docsOf('values-production.yaml');
    expect(find(docs, 'HorizontalPodAutoscaler', 'sg-stargate-gateway')).toBeDefined();
    expect(find(docs, 'PodDisruptionBudget', 'sg-stargate-gateway')).toMatchObject({
      spec: { minAvailable: 2 },
    });
    expect(find(docs, 'ServiceMonitor', 'sg-stargate-gateway')).toBeDefined();
    const rule = find<Manifest & { spec: { groups: { rules: { alert: string; expr: string }[] }[] } }>(
      docs,
      'PrometheusRule',
      'sg-stargate',
    );
    const alerts = new Map(rule.spec.groups.flatMap((g) => g.rules).map((r) => [r.alert, r.expr]));
    expect(alerts.get('StarGateHighErrorRate')).toContain('> 1');
    expect(alerts.get('StarGateSlowRequests')).toMatch(/histogram_quantile\(0\.95.*> 2/s);
    expect(alerts.get('StarGateQueueBacklog')).toContain('> 1000');
    expect(alerts.get('StarGatePollingFailures')).toBeDefined();
    const dash = find<Manifest & { data: Record<string, string> }>(
      docs,
      'ConfigMap',
      'sg-stargate-dashboard',
    );
    expect(JSON.parse(dash.data['stargate.json'] ?? '{}').panels.length).toBeGreaterThan(5);
  });
});

describe('built-in RabbitMQ users (issue 16, Medium 11)', () => {
  type ConfigMap = Manifest & { data: Record<string, string> };

  it('defines one user per zone with the permissions of files/rabbitmq-permissions.json', async () => {
    const cm = find<ConfigMap>(docsOf('values.yaml'), 'ConfigMap', 'sg-stargate-rabbitmq');
    expect(cm.data['rabbitmq.conf']).toContain(
      'load_definitions = /etc/rabbitmq-definitions/definitions.json',
    );
    const defs = JSON.parse(cm.data['definitions.template.json'] ?? '{}') as {
      users: { name: string; tags: string[] }[];
      permissions: { user: string; configure: string; write: string; read: string }[];
    };
    const wanted = JSON.parse(
      await readFile(`${CHART_DIR}/files/rabbitmq-permissions.json`, 'utf8'),
    ) as Record<string, { configure: string; write: string; read: string }>;
    expect(defs.users.map((u) => [u.name, u.tags])).toEqual([
      ['stargate', ['administrator']],
      ['stargate-gateway', []],
      ['stargate-server', []],
    ]);
    expect(defs.permissions.find((p) => p.user === 'stargate-gateway')).toMatchObject(wanted.gateway!);
    expect(defs.permissions.find((p) => p.user === 'stargate-server')).toMatchObject(wanted.server!);
    const sts = find<V1StatefulSet>(docsOf('values.yaml'), 'StatefulSet', 'sg-stargate-rabbitmq');
    expect(sts.spec?.template.spec?.initContainers?.map((c) => c.name)).toEqual(['definitions']);
  });

  it('the init script writes password hashes RabbitMQ accepts', async () => {
    const { execFile } = await import('node:child_process');
    const { mkdtemp, mkdir, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const cm = find<ConfigMap>(docsOf('values.yaml'), 'ConfigMap', 'sg-stargate-rabbitmq');
    const dir = await mkdtemp(join(tmpdir(), 'rabbit-defs-'));
    try {
      // The script's paths, moved under a temporary folder.
      await mkdir(join(dir, 'etc/rabbitmq'), { recursive: true });
      await mkdir(join(dir, 'etc/rabbitmq-definitions'), { recursive: true });
      await writeFile(
        join(dir, 'etc/rabbitmq/definitions.template.json'),
        cm.data['definitions.template.json']!,
      );
      const script = cm.data['write-definitions.sh']!.replaceAll('/tmp/', `${dir}/`).replaceAll(
        '/etc/',
        `${dir}/etc/`,
      );
      const passwords = {
        ADMIN_PASSWORD: 'admin-pw',
        GATEWAY_PASSWORD: 'gw pw/with+odd=chars',
        SERVER_PASSWORD: 'srv',
      };
      await new Promise<void>((resolve, reject) =>
        execFile('sh', ['-c', script], { env: { ...process.env, ...passwords } }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
      const defs = JSON.parse(
        await readFile(join(dir, 'etc/rabbitmq-definitions/definitions.json'), 'utf8'),
      ) as { users: { name: string; password_hash: string; hashing_algorithm: string }[] };
      const gatewayUser = defs.users.find((u) => u.name === 'stargate-gateway')!;
      // The hash as RabbitMQ would import it, on a throwaway user of the development broker.
      const { serviceEnv, createVhost } = await import('@stargate/testkit');
      const base = new URL(serviceEnv().rabbitMgmtUrl);
      const auth = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
      const name = `hash-check-${Date.now().toString(36)}`;
      const api = (path: string, method: string, body?: unknown) =>
        fetch(`${base.protocol}//${base.host}/api/${path}`, {
          method,
          headers: { authorization: auth, 'content-type': 'application/json' },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
      const vhost = await createVhost('hash');
      try {
        const put = await api(`users/${name}`, 'PUT', {
          password_hash: gatewayUser.password_hash,
          hashing_algorithm: gatewayUser.hashing_algorithm,
          tags: '',
        });
        expect(put.ok).toBe(true);
        await api(`permissions/${encodeURIComponent(vhost.name)}/${name}`, 'PUT', {
          configure: '',
          write: '',
          read: '',
        });
        const url = new URL(vhost.url);
        url.username = name;
        url.password = passwords.GATEWAY_PASSWORD;
        const { connect } = await import('amqplib');
        const conn = await connect(url.toString());
        await conn.close();
      } finally {
        await api(`users/${name}`, 'DELETE');
        await vhost.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
