import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticationError, createClient } from '../index.js';
import type { Logger } from '../logger.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { type RecordedRequest, type Reply, startTestGateway, tokenReply } from '../testing/test-gateway.js';

const toClose: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c.close();
});

const SECRET = 's3cr3t-value';

/** Gateway whose token endpoint numbers tokens; `valid` decides which bearer tokens it accepts. */
async function setup(opts: { expiresIn?: number; refresh?: boolean; rejectCredentials?: boolean } = {}) {
  const clock = createFakeClock(0);
  let issued = 0;
  let valid = (_token: string) => true;
  const gw = await startTestGateway((req: RecordedRequest): Reply => {
    if (req.path === '/oauth/token') {
      if (opts.rejectCredentials) return { status: 401, body: { error: 'invalid_client' } };
      issued += 1;
      return tokenReply(issued, opts.expiresIn ?? 3600, opts.refresh ? `refresh-${issued}` : undefined);
    }
    const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!valid(token))
      return { status: 401, body: { error: 'INVALID_TOKEN', status: 401, message: 'expired' } };
    if (req.path === '/api/stargate/process-types') return { status: 200, body: [] };
    return { status: 200, body: { items: [] } };
  }, clock.now);
  const lines: string[] = [];
  const log = (obj: Record<string, unknown>, msg?: string) => lines.push(JSON.stringify({ obj, msg }));
  const logger: Logger = { debug: log, info: log, warn: log, error: log };
  const client = createClient({
    baseUrl: gw.url,
    clientId: 'acme',
    clientSecret: SECRET,
    databasePath: join(mkdtempSync(join(tmpdir(), 'sg-auth-')), 'sdk.db'),
    clock,
    logger,
  });
  toClose.push(gw, client);
  return {
    clock,
    gw,
    client,
    lines,
    tokenCalls: () => gw.calls('POST', '/oauth/token'),
    apiCalls: () => gw.requests.filter((r) => r.path !== '/oauth/token'),
    setValid(fn: (t: string) => boolean) {
      valid = fn;
    },
  };
}

describe('tokens', () => {
  it('sends client credentials with HTTP Basic and caches the token until shortly before expiry', async () => {
    const s = await setup({ expiresIn: 3600 });
    await s.client.list();
    await s.client.list();
    expect(s.tokenCalls()).toHaveLength(1);
    const tokenReq = s.tokenCalls()[0]!;
    expect(tokenReq.body).toEqual({ grant_type: 'client_credentials' });
    expect(Buffer.from(String(tokenReq.headers.authorization).slice(6), 'base64').toString()).toBe(
      `acme:${SECRET}`,
    );
    s.clock.advance(3_539_000);
    await s.client.list();
    expect(s.tokenCalls()).toHaveLength(1);
    s.clock.advance(2_000);
    await s.client.list();
    expect(s.tokenCalls()).toHaveLength(2);
    expect(s.apiCalls().map((r) => r.headers.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-1',
      'Bearer token-1',
      'Bearer token-2',
    ]);
  });

  it('retries once with a fresh token after a 401 and the caller sees success', async () => {
    const s = await setup();
    await s.client.list();
    s.setValid((t) => t !== 'token-1');
    const page = await s.client.list();
    expect(page).toEqual({ items: [] });
    expect(s.apiCalls().map((r) => r.headers.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-1',
      'Bearer token-2',
    ]);
  });

  it('does not loop when a fresh token is refused too', async () => {
    const s = await setup();
    s.setValid(() => false);
    await expect(s.client.list()).rejects.toMatchObject({ status: 401 });
    expect(s.apiCalls()).toHaveLength(2);
    expect(s.tokenCalls()).toHaveLength(2);
  });

  it('uses the refresh token when one was issued', async () => {
    const s = await setup({ expiresIn: 600, refresh: true });
    await s.client.list();
    s.clock.advance(600_000);
    await s.client.list();
    expect(s.tokenCalls().map((r) => r.body)).toEqual([
      { grant_type: 'client_credentials' },
      { grant_type: 'refresh_token', refresh_token: 'refresh-1' },
    ]);
  });

  it('fails a call clearly when the credentials are refused, and never logs secrets or tokens', async () => {
    const s = await setup({ rejectCredentials: true });
    await expect(s.client.list()).rejects.toBeInstanceOf(AuthenticationError);
    const err = await s.client.submit('order', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(s.client.queue()).toHaveLength(1);
    const all = s.lines.join('\n');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(Buffer.from(`acme:${SECRET}`).toString('base64'));
    expect(all).not.toContain('token-');
  });
});
