/**
 * What a platform team does to a StarGate installed by the chart on a real cluster, and what
 * its customers must not notice: onboarding a tenant with kubectl, scaling a handler, losing a
 * handler pod mid-run, upgrading the release under load. tools/cluster/e2e.sh (`make
 * e2e-cluster`) installs the chart on the local cluster and sets the environment; elsewhere
 * this file is skipped (it needs a cluster with StarGate installed).
 */
import { randomBytes } from 'node:crypto';
import { eventually } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cachedToken,
  cleanLedger,
  ledger,
  loadItems,
  orderData,
  startLoad,
  submit,
  waitTerminal,
} from '../support/system.js';
import {
  accessToken,
  deploymentPods,
  deploymentReplicas,
  helm,
  installed,
  kubectl,
  tenantCredentials,
} from './kube.js';

const env = installed();
const handler = (type: string) => `stargate-handler-${type}`;

// Needs StarGate installed on a cluster (tools/cluster/e2e.sh); `make test` has none.
describe.skipIf(!env)('StarGate installed by the chart on a cluster', () => {
  const e = env as NonNullable<typeof env>;
  const tenant = `e2e-${randomBytes(3).toString('hex')}`;
  let token: () => Promise<string>;
  // Every process this file got a 202 for (the ledger checks the tenant's whole record).
  const accepted = new Map<string, string | undefined>();
  const check = async () => {
    const report = await ledger({ url: e.mongoUrl, dbName: 'stargate' }, accepted, { tenantIds: [tenant] });
    expect(report).toEqual(cleanLedger(report));
    expect(report.byStatus, report.failedDetails.slice(0, 5).join('; ')).toEqual({
      completed: accepted.size,
    });
  };

  beforeAll(async () => {
    await kubectl(
      ['-n', e.systemNs, 'apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'stargate.io/v1alpha1',
        kind: 'Tenant',
        metadata: { name: tenant },
        spec: {
          displayName: `e2e ${tenant}`,
          processTypes: [
            { name: 'order', operations: ['submit', 'read', 'cancel'] },
            { name: 'shipping', operations: ['submit', 'read'] },
          ],
          rateLimit: { requestsPerMinute: 60_000, burst: 1_000 },
          credentials: { type: 'generated' },
        },
      }),
    );
  });

  afterAll(async () => {
    await kubectl(['-n', e.systemNs, 'delete', 'tenant', tenant, '--ignore-not-found', '--wait=false']).catch(
      () => undefined,
    );
    // Leave the example's replica count as it was, whatever failed.
    await kubectl([
      '-n',
      e.systemNs,
      'patch',
      'processtype',
      'order',
      '--type=merge',
      '-p',
      '{"spec":{"handler":{"replicas":2}}}',
    ]).catch(() => undefined);
  });

  it('a Tenant applied with kubectl gets credentials that work within seconds', async () => {
    const started = Date.now();
    const creds = await eventually(
      async () => {
        const c = await tenantCredentials(e.systemNs, tenant);
        if (!c) throw new Error(`tenant ${tenant} has no credentials yet`);
        // The gateways learn the tenant from the operator's configuration: a token proves it.
        await accessToken(e.gatewayUrl, c);
        return c;
      },
      60_000,
      250,
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(`tenant ${tenant}: credentials worked ${seconds.toFixed(1)} s after kubectl apply`);
    expect(seconds).toBeLessThan(30);
    token = cachedToken(() => accessToken(e.gatewayUrl, creds));
    const res = await submit(e.gatewayUrl, await token(), 'order', orderData(`${tenant}-1`), {
      clientProcessId: `${tenant}-1`,
    });
    expect(res.status, res.text).toBe(202);
    const view = await waitTerminal(e.gatewayUrl, await token(), res.body.processId, 120_000);
    expect(view).toMatchObject({
      status: 'completed',
      result: { orderId: `${tenant}-1`, status: 'confirmed' },
    });
    accepted.set(res.body.processId, view.status);
  });

  it("a ProcessType's replicas changed with kubectl: its handler pods follow", async () => {
    const patch = (n: number) =>
      kubectl([
        '-n',
        e.systemNs,
        'patch',
        'processtype',
        'order',
        '--type=merge',
        '-p',
        JSON.stringify({ spec: { handler: { replicas: n } } }),
      ]);
    await patch(3);
    await eventually(
      async () => {
        const r = await deploymentReplicas(e.privateNs, handler('order'));
        if (r.desired !== 3 || r.ready !== 3) throw new Error(`order handlers: ${JSON.stringify(r)}`);
        return true;
      },
      120_000,
      500,
    );
    await patch(2);
    await eventually(
      async () => {
        const r = await deploymentReplicas(e.privateNs, handler('order'));
        const pods = await deploymentPods(e.privateNs, handler('order'));
        if (r.desired !== 2 || pods.length !== 2) throw new Error(`order handlers: ${pods.length} running`);
        return true;
      },
      120_000,
      500,
    );
  });

  it('a handler pod deleted mid-run: every accepted process still ends exactly once', async () => {
    expect(token, 'the tenant test ran first').toBeDefined();
    // 400 ms per handler step, so the deletion lands inside running handlers.
    const load = startLoad(() => [e.gatewayUrl], token, loadItems(60, `${tenant}-K`, { delayMs: 400 }));
    await eventually(() => load.acceptedCount() >= 20, 60_000, 100);
    const [victim] = await deploymentPods(e.privateNs, handler('order'));
    expect(victim).toBeDefined();
    // No grace: the pod dies as a node failure would take it.
    await kubectl([
      '-n',
      e.privateNs,
      'delete',
      'pod',
      victim ?? '',
      '--grace-period=0',
      '--force',
      '--wait=false',
    ]);
    await load.submitted;
    await load.finish(240_000);
    for (const [id, status] of load.accepted) accepted.set(id, status);
    expect(load.accepted.size).toBe(60);
    await check();
  }, 360_000);

  it('helm upgrade with changed values under load: no accepted process is lost', async () => {
    const load = startLoad(() => [e.gatewayUrl], token, loadItems(60, `${tenant}-U`, { delayMs: 200 }));
    await eventually(() => load.acceptedCount() >= 10, 60_000, 100);
    // Changed values that replace every gateway pod (a new pod annotation) and add a replica.
    await helm([
      'upgrade',
      e.release,
      e.chart,
      '-n',
      e.systemNs,
      '--reuse-values',
      '--set',
      'gateway.replicas=2',
      '--set-string',
      `gateway.podAnnotations.e2e-upgrade=${Date.now()}`,
      '--wait',
      '--timeout',
      '5m',
    ]);
    await load.submitted;
    await load.finish(240_000);
    for (const [id, status] of load.accepted) accepted.set(id, status);
    expect(load.accepted.size).toBe(60);
    await check();
    const gateways = await deploymentReplicas(e.publicNs, `${e.release}-gateway`);
    expect(gateways).toEqual({ desired: 2, ready: 2 });
  }, 420_000);
});
