import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateGatewayConfig, verifyClientSecret } from '@stargate/contracts';
import { describe, expect, it } from 'vitest';
import { renderFolder } from './render.js';

const examples = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples');

describe('render', () => {
  it('turns examples/ into a valid GatewayConfig whose hashes verify the dev secrets, plus a ServerConfig', async () => {
    const { gatewayConfig, serverConfig } = await renderFolder(examples);
    expect(validateGatewayConfig(gatewayConfig).ok).toBe(true);
    expect(gatewayConfig.tenants.map((t) => t.id)).toEqual(['acme', 'globex']);
    expect(gatewayConfig.processTypes.map((p) => p.name)).toEqual(['order', 'shipping']);
    const acme = gatewayConfig.tenants[0];
    expect(verifyClientSecret('acme-dev-secret-change-me', acme?.clientSecretHash ?? '')).toBe(true);
    expect(acme?.rateLimit.perType?.shipping).toEqual({ requestsPerMinute: 60, burst: 10 });
    expect(serverConfig.processTypes.map((p) => p.handler)).toEqual([
      { builtin: 'order' },
      { builtin: 'shipping' },
    ]);
    expect(serverConfig.retention?.tenants).toEqual({ acme: 90 });
    // Salts are random: rendered afresh, the hashes differ; rendered over the previous output
    // (`render -o` does so), the same document comes out, so gateways do not churn.
    const fresh = (await renderFolder(examples)).gatewayConfig;
    expect(fresh.tenants[0]?.clientSecretHash).not.toBe(acme?.clientSecretHash);
    expect((await renderFolder(examples, { previous: gatewayConfig })).gatewayConfig).toEqual(gatewayConfig);
  });

  it('names the tenant whose process type does not exist, and the missing dev secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'render-'));
    try {
      await writeFile(
        join(dir, 't.yaml'),
        'apiVersion: stargate.io/v1alpha1\nkind: Tenant\nmetadata: {name: acme}\nspec: {displayName: A, processTypes: [{name: nope}]}\n',
      );
      await expect(renderFolder(dir)).rejects.toThrow(
        /no client secret for tenant "acme".*dev\/credentials\.yaml/,
      );
      await mkdir(join(dir, 'dev'));
      await writeFile(join(dir, 'dev', 'credentials.yaml'), 'clientSecrets: {acme: x}\n');
      await expect(renderFolder(dir)).rejects.toThrow(/acme: UnknownProcessType: process type\(s\) "nope"/);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
