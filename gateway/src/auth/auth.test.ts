import { randomUUID } from 'node:crypto';
import { eventually } from '@stargate/testkit';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessToken,
  getToken,
  SECRETS,
  startTestBed,
  submit,
  type TestBed,
  testConfig,
} from '../testing/fixtures.js';
import { buildSigningKeys, generateSigningKey, type SigningKey } from './signing-keys.js';

const order = { processType: 'order', data: { sku: 'A', quantity: 1 } };

describe('gateway authentication and authorisation', () => {
  let bed: TestBed;
  let oldKey: SigningKey;
  let newKey: SigningKey;
  let url: string;

  beforeAll(async () => {
    oldKey = await generateSigningKey('2026-01');
    newKey = await generateSigningKey('2026-02');
    bed = await startTestBed({
      signingKeys: buildSigningKeys([newKey, oldKey]),
      issuer: 'https://gw.test',
      audience: 'stargate-api',
    });
    url = bed.gw.url;
  });
  afterAll(async () => bed?.close());

  const status = (token: string, id: string) =>
    fetch(`${url}/api/stargate/processes/${id}`, { headers: { authorization: `Bearer ${token}` } });

  async function craft(
    claims: Record<string, unknown>,
    opts: { key?: SigningKey; iss?: string; aud?: string; exp?: number; iat?: number } = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const key = opts.key ?? newKey;
    return new SignJWT({ tid: 'alpha', scope: 'process:order:submit process:order:read', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setIssuer(opts.iss ?? 'https://gw.test')
      .setAudience(opts.aud ?? 'stargate-api')
      .setSubject('alpha-client')
      .setIssuedAt(opts.iat ?? now - 10)
      .setExpirationTime(opts.exp ?? now + 600)
      .setJti(randomUUID())
      .sign(key.privateKey);
  }

  it('signs with the newest key, publishes every key, and still accepts tokens of the older key', async () => {
    const token = await accessToken(url, 'alpha');
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as {
      alg: string;
      kid: string;
    };
    expect(header).toMatchObject({ alg: 'ES256', kid: '2026-02' });
    const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string; d?: string }[];
    };
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual(['2026-01', '2026-02']);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
    expect((await submit(url, await craft({}, { key: oldKey }), order)).status).toBe(202);
    const meta = (await (await fetch(`${url}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >;
    expect(meta).toMatchObject({ issuer: 'https://gw.test', jwks_uri: `${url}/.well-known/jwks.json` });
  });

  it('refuses expired, wrong-audience, wrong-issuer, alg:none, HS256-confused, tampered and foreign-key tokens with 401 INVALID_TOKEN', async () => {
    const good = await craft({});
    const [h, p, s] = good.split('.') as [string, string, string];
    const tamperedPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), tid: 'beta' }),
    ).toString('base64url');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    const hs = await new SignJWT({ tid: 'alpha', scope: 'process:order:submit' })
      .setProtectedHeader({ alg: 'HS256', kid: newKey.kid })
      .setIssuer('https://gw.test')
      .setAudience('stargate-api')
      .setSubject('alpha-client')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(JSON.stringify(newKey.publicJwk)));
    const stranger = await generateSigningKey('2026-02');
    const bad: Record<string, string> = {
      expired: await craft({}, { exp: Math.floor(Date.now() / 1000) - 3600 }),
      audience: await craft({}, { aud: 'someone-else' }),
      issuer: await craft({}, { iss: 'https://evil.test' }),
      none,
      hs256: hs,
      tampered: `${h}.${tamperedPayload}.${s}`,
      foreignKey: await craft({}, { key: stranger }),
      // Issued an hour from now: beyond the 30 s clock skew the other time claims get.
      issuedInFuture: await craft({}, { iat: Math.floor(Date.now() / 1000) + 3600 }),
      garbage: 'not-a-jwt',
    };
    for (const [name, token] of Object.entries(bad)) {
      const res = await submit(url, token, order);
      expect(res.status, name).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const body = (await res.json()) as Record<string, unknown>;
      expect(body, name).toMatchObject({ error: 'INVALID_TOKEN', status: 401 });
      expect(typeof body.timestamp).toBe('string');
      expect(typeof body.correlationId).toBe('string');
    }
    const missing = await fetch(`${url}/api/stargate/processes`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(401);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_auth_failures_total\{reason="expired"\} 1/);
    expect(metrics).toMatch(/gateway_auth_failures_total\{reason="claim_iat"\} 1/);
    // Within the skew (a client clock a few seconds ahead) the token still works.
    const slightlyAhead = await craft({}, { iat: Math.floor(Date.now() / 1000) + 5 });
    expect((await submit(url, slightlyAhead, order)).status).toBe(202);
  });

  it('answers 403 when the token lacks the scope, and narrows scopes on request', async () => {
    const readOnly = await accessToken(url, 'alpha', 'process:order:read');
    const res = await submit(url, readOnly, order);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'INSUFFICIENT_PERMISSIONS' });
    const notGranted = await getToken(url, 'alpha-client', SECRETS.alpha, 'process:shipment:submit');
    expect(notGranted).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    // Granted read only: submitting a shipment is a 403, not a 400.
    const full = await accessToken(url, 'alpha');
    expect((await submit(url, full, { processType: 'shipment', data: {} })).status).toBe(403);
  });

  it("hides another tenant's process exactly like a missing one", async () => {
    const alpha = await accessToken(url, 'alpha');
    const beta = await accessToken(url, 'beta');
    const { processId } = (await (await submit(url, alpha, order)).json()) as { processId: string };
    expect((await status(alpha, processId)).status).toBe(200);
    const other = await status(beta, processId);
    const missing = await status(beta, randomUUID());
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    const strip = (b: Record<string, unknown>) => ({ ...b, timestamp: 0, correlationId: 0, instance: 0 });
    expect(strip((await other.json()) as Record<string, unknown>)).toEqual(
      strip((await missing.json()) as Record<string, unknown>),
    );
    // A spoofed tenant header changes nothing.
    expect(
      (
        await fetch(`${url}/api/stargate/processes/${processId}`, {
          headers: { authorization: `Bearer ${beta}`, 'tenant-id': 'alpha', 'x-tenant-id': 'alpha' },
        })
      ).status,
    ).toBe(404);
    const cancel = await fetch(`${url}/api/stargate/processes/${processId}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${beta}` },
    });
    expect(cancel.status).toBe(404);
  });

  it('rotates refresh tokens on use and refuses a used one', async () => {
    const first = await getToken(url, 'alpha-client', SECRETS.alpha);
    const refresh = first.body.refresh_token as string;
    expect(refresh).toBeTruthy();
    const use = (token: string) =>
      fetch(`${url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: token,
          client_id: 'alpha-client',
          client_secret: SECRETS.alpha,
        }).toString(),
      });
    const second = await use(refresh);
    expect(second.status).toBe(200);
    const body = (await second.json()) as { refresh_token: string; access_token: string };
    expect(body.refresh_token).not.toBe(refresh);
    expect((await submit(url, body.access_token, order)).status).toBe(202);
    const replay = await use(refresh);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    // Revoked: unusable afterwards.
    const revoke = await fetch(`${url}/oauth/revoke`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`alpha-client:${SECRETS.alpha}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: body.refresh_token }).toString(),
    });
    expect(revoke.status).toBe(200);
    expect((await use(body.refresh_token)).status).toBe(400);
  });

  it('slows down guessing at a client secret without checking further guesses', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await getToken(url, 'beta-client', `guess-${i}`)).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    // The budget refills one guess per 6 s: on a slow machine the 11th may still be checked.
    expect(statuses.at(-1)).toBe(429);
    // Other clients are unaffected (oauth-lockout.test.ts: addresses and the right secret).
    expect((await getToken(url, 'alpha-client', SECRETS.alpha)).status).toBe(200);
  });

  it('refuses a suspended tenant at once, even with a valid token', async () => {
    const token = await accessToken(url, 'alpha');
    expect((await submit(url, token, order)).status).toBe(202);
    bed.gw.gateway.context.config.apply(testConfig({ revision: 'suspended', alphaSuspended: true }), 'test');
    const res = await submit(url, token, order);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'TENANT_SUSPENDED' });
    expect((await getToken(url, 'alpha-client', SECRETS.alpha)).status).toBe(400);
    bed.gw.gateway.context.config.apply(testConfig({ revision: 'back' }), 'test');
    await eventually(async () => (await submit(url, token, order)).status === 202);
    // Removed from the config: its still-valid token no longer works.
    const removed = testConfig({ revision: 'removed' });
    removed.tenants = removed.tenants.filter((t) => t.id !== 'alpha');
    bed.gw.gateway.context.config.apply(removed, 'test');
    const gone = await submit(url, token, order);
    expect(gone.status).toBe(401);
    expect(await gone.json()).toMatchObject({ error: 'INVALID_TOKEN' });
    bed.gw.gateway.context.config.apply(testConfig({ revision: 'restored' }), 'test');
  });
});
