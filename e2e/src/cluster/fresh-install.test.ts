/**
 * `helm install --wait` before any Tenant exists: the operator writes an empty gateway config
 * at start-up, and a gateway following that Secret becomes ready (instead of waiting forever).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { startGateway } from '@stargate/gateway';
import { createKubeClient, loadConfig, type Operator, startOperator } from '@stargate/operator';
import { createVhost, eventually, redisPrefix, serviceEnv, uniqueName } from '@stargate/testkit';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCrds } from '../charts/crds.js';

const kc = new KubeConfig();
kc.loadFromFile(serviceEnv().kubeconfig);
const client = createKubeClient(kc);
const ns = uniqueName('fresh');
let operator: Operator | undefined;

beforeAll(async () => {
  await installCrds();
  await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});

afterAll(async () => {
  await operator?.close();
  await client.delete(`/api/v1/namespaces/${ns}`);
});

describe('a fresh install with no Tenant', () => {
  it('the gateway becomes ready on the empty configuration the operator writes at start-up', async () => {
    const vhost = await createVhost('fresh');
    const gateway = await startGateway({
      kubernetes: { namespace: ns, name: 'stargate-gateway-config', kubeconfig: serviceEnv().kubeconfig },
      redisUrl: serviceEnv().redisUrl,
      redisPrefix: redisPrefix('fresh'),
      amqpUrl: vhost.url,
      logLevel: 'silent',
    });
    try {
      expect((await fetch(`${gateway.url}/health/ready`)).status).toBe(503);
      const started = Date.now();
      operator = startOperator({
        client,
        config: loadConfig({ STARGATE_WATCH_NAMESPACE: ns, POD_NAME: `${ns}-operator` }),
        logger: pino({ level: 'silent' }),
        retryPeriodMs: 200,
      });
      await eventually(async () => (await fetch(`${gateway.url}/health/ready`)).status === 200);
      console.log(`[measure] operator start → gateway ready with no Tenant: ${Date.now() - started} ms`);
      expect(await (await fetch(`${gateway.url}/health/ready`)).json()).not.toHaveProperty('reason');
      // Ready, and every client is simply unknown.
      const token = await fetch(`${gateway.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'nobody',
          client_secret: 'x'.repeat(40),
        }),
      });
      expect(token.status).toBe(401);
    } finally {
      await gateway.close();
      await vhost.close();
    }
  });
});
