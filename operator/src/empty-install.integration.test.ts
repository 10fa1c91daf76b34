/**
 * A fresh install (`helm install --wait`) has no Tenant and no ProcessType yet: the operator
 * must still write a valid, empty gateway config at start-up, or the gateways never become ready.
 */
import { type GatewayConfig, validateGatewayConfig } from '@stargate/contracts';
import { eventually } from '@stargate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretObject } from './desired/objects.js';
import { resourcePath } from './kube/client.js';
import { type Operator, startOperator } from './operator.js';
import { createNamespace, installCrds, testClient, testConfig, testLogger } from './testing/cluster.js';

const client = testClient();
let ns: { watch: string; gateway: string; private: string };
let operator: Operator | undefined;

beforeAll(async () => {
  await installCrds(client);
  ns = {
    watch: await createNamespace(client, 'empty'),
    gateway: await createNamespace(client, 'empty-gw'),
    private: await createNamespace(client, 'empty-priv'),
  };
});

afterAll(async () => {
  await operator?.close();
  for (const n of Object.values(ns ?? {})) await client.delete(resourcePath('v1', 'Namespace', undefined, n));
});

describe('fresh install without any Tenant', () => {
  it('writes a valid gateway config with no tenants at start-up', async () => {
    const path = resourcePath('v1', 'Secret', ns.gateway, 'stargate-gateway-config');
    expect(await client.get(path)).toBeUndefined();
    const started = Date.now();
    operator = startOperator({ client, config: testConfig(ns), logger: testLogger, retryPeriodMs: 200 });
    const secret = await eventually(() => client.get<SecretObject>(path));
    const elapsed = Date.now() - started;
    const doc = JSON.parse(
      Buffer.from(secret.data?.['gateway-config.json'] ?? '', 'base64').toString('utf8'),
    ) as GatewayConfig;
    expect(doc.tenants).toEqual([]);
    expect(doc.processTypes).toEqual([]);
    expect(doc.revision).toMatch(/^[0-9a-f]{16}$/);
    expect(secret.metadata.annotations?.['stargate.io/revision']).toBe(doc.revision);
    // The same validation the gateway's config store applies before it swaps a config in.
    expect(validateGatewayConfig(doc)).toMatchObject({ ok: true });
    // Well before the 300 s resync that used to be the only thing writing it.
    expect(elapsed).toBeLessThan(10_000);
  });
});
