/**
 * The token endpoint against a client that has another client's refresh token, and against
 * parameter pollution (one parameter sent twice, each reader taking a different copy).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostileGateway, raw, startHostileGateway } from './support.js';

let gw: HostileGateway;

beforeAll(async () => {
  gw = await startHostileGateway();
});

afterAll(async () => {
  await gw?.close();
});

function basicOf(tenant: 'acme' | 'globex'): string {
  return `Basic ${Buffer.from(`${tenant}-client:${tenant}-dev-secret-change-me`).toString('base64')}`;
}

function tokenRequest(body: string, tenant: 'acme' | 'globex') {
  return raw(gw.url, {
    method: 'POST',
    path: '/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicOf(tenant) },
    body,
  });
}

describe('refresh tokens are bound to their client', () => {
  it('another client presenting a refresh token is refused and does not use it up', async () => {
    const issued = await tokenRequest('grant_type=client_credentials', 'globex');
    expect(issued.status, issued.body).toBe(200);
    const refresh = (JSON.parse(issued.body) as { refresh_token: string }).refresh_token;

    const stolen = await tokenRequest(`grant_type=refresh_token&refresh_token=${refresh}`, 'acme');
    expect(stolen.status).toBe(400);
    expect(JSON.parse(stolen.body)).toMatchObject({ error: 'invalid_grant' });

    // Its owner can still use it, once.
    const own = await tokenRequest(`grant_type=refresh_token&refresh_token=${refresh}`, 'globex');
    expect(own.status, own.body).toBe(200);
    expect((await tokenRequest(`grant_type=refresh_token&refresh_token=${refresh}`, 'globex')).status).toBe(
      400,
    );
  });
});

describe('parameters sent more than once (RFC 6749 §3.2)', () => {
  it.each([
    ['grant_type', 'grant_type=refresh_token&grant_type=client_credentials'],
    ['scope', 'grant_type=client_credentials&scope=process:order:read&scope=process:order:submit'],
  ])('%s twice → 400 invalid_request naming it, no token', async (name, body) => {
    const res = await tokenRequest(body, 'acme');
    expect(res.status, res.body).toBe(400);
    const answer = JSON.parse(res.body) as {
      error: string;
      error_description: string;
      access_token?: string;
    };
    expect(answer.error).toBe('invalid_request');
    expect(answer.error_description).toContain(name);
    expect(answer.access_token).toBeUndefined();
  });

  it('each parameter once still gets a token (the control)', async () => {
    const res = await tokenRequest('grant_type=client_credentials&scope=process:order:read', 'acme');
    expect(res.status, res.body).toBe(200);
  });
});
