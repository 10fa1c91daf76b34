/**
 * `make dev`: StarGate as its users know it. The development control plane (etcd +
 * kube-apiserver from tools/services.sh, CRDs installed), the operator running against it,
 * examples/ applied with kubectl, the gateway following the operator's config Secret, handler
 * workers for the ProcessTypes the operator reports, the demo client on the credentials the
 * operator generated, and a live onboarding of a new tenant.
 *
 * Everything lives in one namespace (STARGATE_DEV_NAMESPACE, default `stargate-dev`) and its
 * vhost, database and key prefix of the same name, so it runs beside the tests on the shared
 * services.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { freePort, REPO_ROOT, startProcess } from '../support/stack.js';
import { say, seconds, showCommand } from './console.js';
import { ensureNamespace, ensureVhost, installCrds, servicesUp } from './control-plane.js';
import { runDemo } from './demo.js';
import { Kubectl } from './kubectl.js';
import { ensureEncryptionKeys } from './encryption-keys.js';
import { reportReplicas, startLocalHandlers } from './local-handlers.js';
import { liveOnboarding } from './onboarding.js';
import { needEnv } from './processes.js';
import type { DevRun } from './run.js';
import { deleteNamespace, deleteResources, deleteStores } from './teardown.js';

const GATEWAY_CONFIG_SECRET = 'stargate-gateway-config';

export async function runCluster(run: DevRun): Promise<number> {
  const s = run.settings;
  const started = Date.now();
  const namespace = s.slice;
  const kubeconfig = needEnv('KUBECONFIG');
  const kubectlBin = needEnv('STARGATE_KUBECTL');
  const k = new Kubectl(kubectlBin, kubeconfig, namespace);

  await servicesUp(k);
  await installCrds(k);
  await ensureNamespace(k);
  const encryptionKeys = await ensureEncryptionKeys(k);
  const slice = {
    vhost: namespace,
    amqpUrl: await ensureVhost(s.amqpUrl, namespace),
    mongoUrl: s.mongoUrl,
    mongoDb: namespace.replaceAll('-', '_'),
    redisUrl: s.redisUrl,
    redisPrefix: namespace,
    encryptionKeys,
  };

  say('');
  say('Use the same API server as StarGate does here:');
  say(`  export KUBECONFIG=${kubeconfig}`);
  say(`  alias kubectl=${kubectlBin}`);
  say('');

  const operatorHealth = await freePort();
  const operator = run.track(
    startProcess('operator', 'operator/dist/main.js', {
      KUBECONFIG: kubeconfig,
      STARGATE_WATCH_NAMESPACE: namespace,
      STARGATE_TOKEN_URL: `${s.baseUrl}/oauth/token`,
      STARGATE_HEALTH_PORT: String(operatorHealth),
      STARGATE_LOG_LEVEL: s.logLevel,
      POD_NAME: `make-dev-${hostname()}-${process.pid}`,
    }),
  );
  await run.waitReady(operator, `http://127.0.0.1:${operatorHealth}/readyz`, 'operator');
  say(
    `Operator running against the API server, watching namespace ${namespace} (health http://127.0.0.1:${operatorHealth}/readyz)   [${seconds(Date.now() - started)}]`,
  );

  say('The platform team applies the examples (Tenants acme and globex, ProcessTypes order and shipping):');
  showCommand(
    k.shown(['apply', '-f', 'examples/']),
    await k.run(['apply', '-f', join(REPO_ROOT, 'examples')]),
  );
  const waitTenants = ['wait', '--for=condition=Ready', 'tenants', '--all', '--timeout=120s'];
  showCommand(k.shown(waitTenants), await k.run(waitTenants, { timeoutMs: 130_000 }));
  say(`  [${seconds(Date.now() - started)}]`);

  // The operator has written the gateway's Secret: the gateway and the handler workers start
  // side by side.
  const gateway = run.track(
    startProcess('gateway', 'gateway/dist/main.js', {
      ...run.gatewayEnv(slice.redisPrefix, slice.amqpUrl),
      KUBECONFIG: kubeconfig,
      STARGATE_CONFIG_SOURCE: 'kubernetes',
      STARGATE_CONFIG_NAMESPACE: namespace,
      STARGATE_CONFIG_NAME: GATEWAY_CONFIG_SECRET,
    }),
  );
  const handlers = await startLocalHandlers(run, k, slice);
  const dropStatusReset = run.onStop(async () => {
    for (const h of handlers) await reportReplicas(k, h.deployment, 0);
  });
  say(
    `Handler workers for the ProcessTypes the operator reports (${handlers.map((h) => h.processType).join(', ')}): one local process each, from the operator's ConfigMap; this API server has no nodes, so make dev runs the pods' command and reports them ready   [${seconds(Date.now() - started)}]`,
  );
  const waitTypes = ['wait', '--for=condition=Ready', 'processtypes', '--all', '--timeout=90s'];
  showCommand(k.shown(waitTypes), await k.run(waitTypes, { timeoutMs: 100_000 }));
  await run.waitReady(gateway, `${s.baseUrl}/health/ready`, 'gateway');
  say(`Gateway ready, following the operator's Secret   [${seconds(Date.now() - started)}]`);
  showCommand(k.shown(['get', 'tenants,processtypes']), await k.run(['get', 'tenants,processtypes']));

  say('');
  const startMs = Date.now() - started;
  say(`StarGate is running (${seconds(startMs)} to start):`);
  say(
    `  gateway ${s.baseUrl} (configuration: Secret ${namespace}/${GATEWAY_CONFIG_SECRET}, written by the operator)`,
  );
  say(`  kubeconfig ${kubeconfig}`);
  say(`  KUBECONFIG=${kubeconfig} ${kubectlBin} -n ${namespace} get stargate`);
  say('');

  const acmeSecret = 'acme-stargate-credentials';
  const clientId = await k.secretValue(acmeSecret, 'client-id');
  const clientSecret = await k.secretValue(acmeSecret, 'client-secret');
  if (!clientId || !clientSecret) throw new Error(`Secret ${acmeSecret} has no client-id/client-secret`);
  say(`Demo client (SDK) for tenant acme, with the credentials from Secret ${acmeSecret}:`);
  const completed = await runDemo({ baseUrl: s.baseUrl, clientId, clientSecret }, join(s.dataDir, namespace));
  say('');

  const onboarding = await liveOnboarding(k, s.baseUrl);
  say('');
  showCommand(k.shown(['get', 'stargate']), await k.run(['get', 'stargate']));
  say('');
  run.tryItYourself(
    clientId,
    `$(${k.shown(['get', 'secret', acmeSecret, '-o', 'jsonpath={.data.client-secret}'])} | base64 -d)`,
  );
  say(
    `  Onboard another tenant: copy e2e/src/dev/tenant-initech.yaml, change its name, ${k.shown(['apply', '-f', '<file>'])}`,
  );
  say('');
  say(
    `Measured: started in ${seconds(startMs)}, demo and onboarding done after ${seconds(Date.now() - started)}; apply → Ready ${seconds(onboarding.applyToReadyMs)}, apply → first 202 ${seconds(onboarding.applyToFirst202Ms)}, suspend → refused ${seconds(onboarding.suspendToRefusedMs)}, resume → accepted ${seconds(onboarding.resumeToAcceptedMs)}, rate limit → new headers ${seconds(onboarding.rateLimitChangeMs)}`,
  );
  if (s.teardown) {
    dropStatusReset();
    say(`Removing namespace ${namespace} and its vhost, database and keys (STARGATE_DEV_TEARDOWN=1) …`);
    await deleteResources(k);
    await deleteNamespace(k);
    await deleteStores(slice);
  }
  return completed >= 2 ? 0 : 1;
}
