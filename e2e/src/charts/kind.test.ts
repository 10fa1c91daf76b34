/**
 * The SDK against a StarGate installed by the chart on a real cluster (e2e/kind/run.sh sets
 * STARGATE_KIND_GATEWAY_URL and KUBECONFIG; without them this file is skipped, as it is on
 * machines without Docker). Credentials come from the Secrets the operator generated for the
 * example tenants, exactly as a platform team would hand them to a customer.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient, type StarGateClient } from '@stargate/client-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderData, shippingData } from '../support/system.js';

const run = promisify(execFile);
const gatewayUrl = process.env.STARGATE_KIND_GATEWAY_URL;
const namespace = process.env.STARGATE_KIND_NAMESPACE ?? 'stargate-system';

async function tenantCredentials(tenant: string): Promise<{ clientId: string; clientSecret: string }> {
  const { stdout: name } = await run('kubectl', [
    '-n',
    namespace,
    'get',
    'tenant',
    tenant,
    '-o',
    'jsonpath={.status.secretName}',
  ]);
  const { stdout } = await run('kubectl', ['-n', namespace, 'get', 'secret', name.trim(), '-o', 'json']);
  const data = JSON.parse(stdout).data as Record<string, string>;
  const decode = (k: string) => Buffer.from(data[k] ?? '', 'base64').toString('utf8');
  return { clientId: decode('client-id'), clientSecret: decode('client-secret') };
}

// Skipped unless e2e/kind/run.sh installed StarGate on a kind cluster: that needs Docker, which
// `make test` machines do not have; the chart itself is tested here by the other chart tests.
describe.skipIf(!gatewayUrl)('StarGate installed by the chart on kind', () => {
  let dir: string;
  const clients: StarGateClient[] = [];

  async function client(tenant: string): Promise<StarGateClient> {
    const c = createClient({
      baseUrl: gatewayUrl ?? '',
      // make e2e-cluster reaches the gateway Service's cluster IP over plain HTTP (a host-local
      // bridge, no Ingress): not loopback, so allowed explicitly.
      allowInsecureHttp: true,
      ...(await tenantCredentials(tenant)),
      databasePath: join(dir, `${tenant}.db`),
    });
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kind-e2e-'));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await rm(dir, { recursive: true, force: true });
  });

  it('runs orders and shipments for two tenants through gateway, RabbitMQ and the handlers', async () => {
    const acme = await client('acme');
    const globex = await client('globex');
    const jobs = [
      ...Array.from({ length: 10 }, (_, i) =>
        acme.submit('order', orderData(`KA-${i}`), { clientProcessId: `KA-${i}` }),
      ),
      ...Array.from({ length: 5 }, (_, i) =>
        acme.submit('shipping', shippingData(`KS-${i}`), { clientProcessId: `KS-${i}` }),
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        globex.submit('order', orderData(`KG-${i}`), { clientProcessId: `KG-${i}` }),
      ),
    ];
    const handles = await Promise.all(jobs);
    const done = await Promise.all(
      handles.map((h) => h.pollUntilDone({ signal: AbortSignal.timeout(120_000) })),
    );
    expect(done.map((d) => d.status)).toEqual(done.map(() => 'completed'));
    for (const d of done) {
      if (d.processType === 'order')
        expect(d.result).toMatchObject({ orderId: d.clientProcessId, status: 'confirmed' });
      else expect(d.result).toMatchObject({ shipmentId: d.clientProcessId, status: 'booked' });
    }
  });

  it("does not show one tenant's process to another", async () => {
    const acme = await client('acme');
    const handle = await acme.submit('order', orderData('KX-1'), { clientProcessId: 'KX-1' });
    const view = await handle.pollUntilDone({ signal: AbortSignal.timeout(120_000) });
    const creds = await tenantCredentials('globex');
    const token = await fetch(`${gatewayUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: creds.clientId,
        client_secret: creds.clientSecret,
      }),
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    const res = await fetch(`${gatewayUrl}/api/stargate/processes/${view.processId}`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(res.status).toBe(404);
  });
});
