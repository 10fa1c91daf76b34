// Measures Tenant change → enforced by a running gateway (Kubernetes config source), end to end:
// operator (leader) + gateway in this process, the shared kube-apiserver, Redis and RabbitMQ.
// Run after `npx tsc -b`:  node e2e/bench/propagation.mjs [rounds]
import { readFile } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { startGateway } from '@stargate/gateway';
import { createKubeClient, startOperator } from '@stargate/operator';
import { createVhost, eventually, redisPrefix, serviceEnv, uniqueName } from '@stargate/testkit';
import { pino } from 'pino';
import { parse } from 'yaml';

const rounds = Number(process.argv[2] ?? 5);
const env = serviceEnv();
const kc = new KubeConfig();
kc.loadFromFile(env.kubeconfig);
const client = createKubeClient(kc);
const GV = 'stargate.io/v1alpha1';
const ns = uniqueName('prop');
const path = (kind, name) =>
  `/apis/${GV}/namespaces/${ns}/${kind === 'Tenant' ? 'tenants' : 'processtypes'}${name ? `/${name}` : ''}`;
const secretPath = (name) => `/api/v1/namespaces/${ns}/secrets/${name}`;

for (const f of ['crds/tenant.yaml', 'crds/processtype.yaml']) {
  await client.apply(parse(await readFile(f, 'utf8')), 'stargate-crds');
}
await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });

const operator = startOperator({
  client,
  logger: pino({ level: 'warn' }),
  config: {
    watchNamespace: ns,
    gatewayNamespace: ns,
    privateNamespace: ns,
    gatewayConfigName: 'stargate-gateway-config',
    handlerImage: 'stargate:bench',
    tokenUrl: 'http://gateway/oauth/token',
    healthPort: 0,
    leaseName: 'stargate-operator',
    identity: 'bench',
    resyncSeconds: 300,
    rotationGraceSeconds: 0,
    logLevel: 'warn',
  },
  retryPeriodMs: 200,
});

const tenant = (name, extra = {}) => ({
  apiVersion: GV,
  kind: 'Tenant',
  metadata: { name, namespace: ns },
  spec: { displayName: name, processTypes: [{ name: 'order' }], ...extra },
});
const order = parse(await readFile('examples/processtype-order.yaml', 'utf8'));
order.metadata.namespace = ns;
order.spec.handler.replicas = 0;
await client.apply(order, 'bench');
await client.apply(tenant('acme'), 'bench');
await eventually(() => client.get(secretPath('stargate-gateway-config')), 30_000);

const vhost = await createVhost('prop');
const gw = await startGateway({
  kubernetes: { namespace: ns, name: 'stargate-gateway-config', kubeconfig: env.kubeconfig },
  redisUrl: env.redisUrl,
  amqpUrl: vhost.url,
  redisPrefix: redisPrefix('prop'),
});

async function clientSecret(name) {
  const s = await eventually(() => client.get(secretPath(`${name}-stargate-credentials`)), 30_000, 10);
  return Buffer.from(s.data['client-secret'], 'base64').toString();
}
async function tokenStatus(name, secret) {
  const res = await fetch(`${gw.url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${name}-client:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const body = await res.json();
  return { status: res.status, token: body.access_token };
}
async function apiStatus(token) {
  const res = await fetch(`${gw.url}/api/stargate/process-types`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await res.arrayBuffer();
  return res.status;
}
async function timed(change, until) {
  const t0 = performance.now();
  await change();
  await eventually(until, 30_000, 10);
  return performance.now() - t0;
}

const results = { create: [], suspend: [], resume: [], delete: [] };
const acmeSecret = await clientSecret('acme');
const { token } = await eventually(async () => {
  const r = await tokenStatus('acme', acmeSecret);
  return r.status === 200 ? r : undefined;
});
for (let i = 0; i < rounds; i++) {
  const name = `globex-${i}`;
  let secret;
  results.create.push(
    await timed(
      () => client.apply(tenant(name), 'bench'),
      async () => {
        secret ??= await clientSecret(name);
        return (await tokenStatus(name, secret)).status === 200;
      },
    ),
  );
  results.suspend.push(
    await timed(
      () => client.apply(tenant('acme', { suspended: true }), 'bench'),
      async () => (await apiStatus(token)) === 403,
    ),
  );
  results.resume.push(
    await timed(
      () => client.apply(tenant('acme', { suspended: false }), 'bench'),
      async () => (await apiStatus(token)) === 200,
    ),
  );
  results.delete.push(
    await timed(
      () => client.delete(path('Tenant', name)),
      async () => (await tokenStatus(name, secret)).status !== 200,
    ),
  );
}

const fmt = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${s[0].toFixed(0)} ms, median ${s[Math.floor(s.length / 2)].toFixed(0)} ms, max ${s[s.length - 1].toFixed(0)} ms`;
};
console.log(`Tenant change → enforced by a running gateway (${rounds} rounds):`);
console.log(`  create  (apply → token issued)                ${fmt(results.create)}`);
console.log(`  suspend (apply → existing token refused, 403) ${fmt(results.suspend)}`);
console.log(`  resume  (apply → existing token accepted)     ${fmt(results.resume)}`);
console.log(`  delete  (delete → token refused)              ${fmt(results.delete)}`);

await gw.close();
for (const t of ['acme', ...Array.from({ length: rounds }, (_, i) => `globex-${i}`)])
  await client.delete(path('Tenant', t));
await client.delete(path('ProcessType', 'order'));
await eventually(async () => (await client.list(path('Tenant'))).items.length === 0, 30_000);
await eventually(async () => (await client.list(path('ProcessType'))).items.length === 0, 30_000);
await operator.close();
await vhost.close();
await client.delete(`/api/v1/namespaces/${ns}`);
process.exit(0);
