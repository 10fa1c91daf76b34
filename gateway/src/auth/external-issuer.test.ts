import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '@stargate/testkit';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBed, submit, type TestBed, testConfig } from '../testing/fixtures.js';
import { generateSigningKey, type SigningKey } from './signing-keys.js';

describe('tenant with an external identity provider', () => {
  let idp: Server;
  let idpKey: SigningKey;
  let bed: TestBed;

  beforeAll(async () => {
    idpKey = await generateSigningKey('idp-1');
    idp = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [idpKey.publicJwk] }));
    });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    const config = testConfig();
    config.tenants.push({
      id: 'gamma',
      displayName: 'Gamma',
      clientId: 'gamma-app',
      externalIssuer: {
        issuer: 'https://idp.gamma.test',
        audience: 'stargate',
        jwksUrl: `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks`,
        clientId: 'gamma-app',
      },
      processTypes: [{ name: 'order', operations: ['submit', 'read'] }],
      rateLimit: { requestsPerMinute: 600, burst: 100 },
      suspended: false,
    });
    bed = await startTestBed({ config });
  });
  afterAll(async () => {
    await bed?.close();
    idp?.close();
  });

  const idpToken = (claims: Record<string, unknown>, aud = 'stargate') =>
    new SignJWT({ scope: 'process:order:submit', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: idpKey.kid })
      .setIssuer('https://idp.gamma.test')
      .setAudience(aud)
      .setExpirationTime('5m')
      .sign(idpKey.privateKey);

  it("accepts the issuer's tokens for its client, refuses other clients and audiences", async () => {
    const order = { processType: 'order', data: { sku: 'G', quantity: 1 } };
    const ok = await submit(bed.gw.url, await idpToken({ client_id: 'gamma-app', sub: 'svc' }), order);
    expect(ok.status).toBe(202);
    const { processId } = (await ok.json()) as { processId: string };
    const req = await eventually(() => bed.server.requests.find((r) => r.event.data.processId === processId));
    expect(req.event.data).toMatchObject({ tenantId: 'gamma', clientId: 'gamma-app' });
    expect((await submit(bed.gw.url, await idpToken({ client_id: 'someone-else' }), order)).status).toBe(401);
    expect(
      (await submit(bed.gw.url, await idpToken({ client_id: 'gamma-app' }, 'other'), order)).status,
    ).toBe(401);
    // An IdP token issued in the future (beyond the clock skew) is refused like an early nbf.
    const future = await idpToken({ client_id: 'gamma-app', iat: Math.floor(Date.now() / 1000) + 3600 });
    expect((await submit(bed.gw.url, future, order)).status).toBe(401);
    // The IdP's scope is capped by what the tenant is granted.
    const wide = await idpToken({ client_id: 'gamma-app', scope: 'process:shipment:submit' });
    expect((await submit(bed.gw.url, wide, { processType: 'shipment', data: {} })).status).toBe(403);
  });
});
