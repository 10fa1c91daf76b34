import { describe, expect, it } from 'vitest';
import { createConfigStore } from '../config/config-store.js';
import { GatewayError } from '../http/errors.js';
import { createLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { testConfig } from '../testing/fixtures.js';
import { buildSigningKeys, generateSigningKey, type SigningKeys } from './signing-keys.js';
import { createTokenIssuer } from './token-issuer.js';
import { createTokenVerifier } from './token-verifier.js';

/** A verifier with its verified-token cache on, a clock the test moves, and keys it can rotate. */
async function setUp() {
  const clock = { t: Date.now() };
  const now = () => clock.t;
  const oldKey = await generateSigningKey('k1');
  const newKey = await generateSigningKey('k2');
  let keys: SigningKeys = buildSigningKeys([oldKey]);
  const config = createConfigStore({ logger: createLogger({ level: 'silent' }), metrics: createMetrics() });
  config.apply(testConfig({ revision: 'r1' }), 'test');
  const deps = { keys: () => keys, issuer: () => 'https://gw.test', audience: 'stargate-api', now };
  const verifier = createTokenVerifier(deps);
  const issuer = createTokenIssuer(deps);
  const token = async () =>
    (await issuer.issue({ tenantId: 'alpha', clientId: 'alpha-client', scope: ['process:order:read'] }))
      .accessToken;
  const verify = async (t: string) => verifier.verify(t, config.current()!);
  const refusal = async (t: string) => {
    try {
      await verify(t);
    } catch (err) {
      return err instanceof GatewayError ? { code: err.code, authFailure: err.authFailure } : err;
    }
    return undefined;
  };
  return {
    clock,
    config,
    token,
    verify,
    refusal,
    rotate: () => {
      keys = buildSigningKeys([newKey]);
    },
  };
}

describe('verified-token cache', () => {
  it('refuses a cached token once its tenant is suspended, and accepts it again on resume', async () => {
    const t = await setUp();
    const token = await t.token();
    expect((await t.verify(token)).tenant.id).toBe('alpha');
    expect((await t.verify(token)).scopes.has('process:order:read')).toBe(true);
    t.config.apply(testConfig({ revision: 'r2', alphaSuspended: true }), 'test');
    expect(await t.refusal(token)).toMatchObject({ code: 'TENANT_SUSPENDED' });
    t.config.apply(testConfig({ revision: 'r3' }), 'test');
    expect((await t.verify(token)).tenant.suspended).toBe(false);
  });

  it('refuses a cached token of a removed tenant, and scopes the tenant no longer has', async () => {
    const t = await setUp();
    const token = await t.token();
    await t.verify(token);
    const narrowed = testConfig({ revision: 'r2' });
    narrowed.tenants[0]!.processTypes = [{ name: 'order', operations: ['submit'] }];
    t.config.apply(narrowed, 'test');
    expect((await t.verify(token)).scopes.has('process:order:read')).toBe(false);
    const removed = testConfig({ revision: 'r3' });
    removed.tenants = removed.tenants.filter((x) => x.id !== 'alpha');
    t.config.apply(removed, 'test');
    expect(await t.refusal(token)).toMatchObject({ code: 'INVALID_TOKEN', authFailure: 'unknown_tenant' });
  });

  it('refuses a cached token whose signing key was rotated out', async () => {
    const t = await setUp();
    const token = await t.token();
    await t.verify(token);
    t.rotate();
    expect(await t.refusal(token)).toMatchObject({ code: 'INVALID_TOKEN', authFailure: 'unknown_key' });
    // Tokens of the new key work as before.
    expect((await t.verify(await t.token())).tenant.id).toBe('alpha');
  });

  it('trusts a cached token only until it expires', async () => {
    const t = await setUp();
    const token = await t.token();
    await t.verify(token);
    t.clock.t += 2 * 3600 * 1000;
    expect(await t.refusal(token)).toMatchObject({ code: 'INVALID_TOKEN', authFailure: 'expired' });
  });
});
