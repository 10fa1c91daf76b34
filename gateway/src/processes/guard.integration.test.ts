import { API_BASE_PATH, API_ROUTES } from '@stargate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessToken, startTestBed, type TestBed } from '../testing/fixtures.js';

/** Every route of the process API scope, with a process id that does not exist. */
const ROUTES = [
  ['POST', API_ROUTES.processes],
  ['GET', API_ROUTES.processes],
  ['GET', API_ROUTES.process],
  ['POST', API_ROUTES.cancel],
  ['POST', API_ROUTES.retry],
  ['GET', API_ROUTES.processTypes],
] as const;
const path = (route: string) => `${API_BASE_PATH}${route.replace(':id', 'PROC-20200101-00009')}`;

describe('the process API scope', () => {
  let bed: TestBed;
  let token: string;

  beforeAll(async () => {
    bed = await startTestBed();
    token = await accessToken(bed.gw.url, 'alpha');
  });
  afterAll(async () => bed?.close());

  it('refuses a caller without a token on every route before reading its body, and charges nothing', async () => {
    for (const [method, route] of ROUTES) {
      const res = await fetch(`${bed.gw.url}${path(route)}`, {
        method,
        // Not even JSON: a 401 rather than a 400 shows the body was never parsed.
        ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{"half":' } : {}),
      });
      expect([method, route, res.status]).toEqual([method, route, 401]);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.headers.get('ratelimit-policy')).toBeNull();
      expect(await res.json()).toMatchObject({ error: 'INVALID_TOKEN' });
    }
    expect(bed.server.requests).toHaveLength(0);
  });

  it('charges every route against the tenant’s rate limit for a caller with a token', async () => {
    for (const [method, route] of ROUTES) {
      const submit = method === 'POST' && route === API_ROUTES.processes;
      const res = await fetch(`${bed.gw.url}${path(route)}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(submit
          ? {
              body: JSON.stringify({
                processType: 'order',
                clientProcessId: 'guard',
                data: { sku: 'G', quantity: 1 },
              }),
            }
          : method === 'POST'
            ? { body: '{}' }
            : {}),
      });
      expect([method, route, res.status < 500]).toEqual([method, route, true]);
      expect([method, route, res.headers.get('ratelimit-policy')]).toEqual([
        method,
        route,
        expect.any(String),
      ]);
    }
  });

  it('stays out of the routes outside it', async () => {
    const live = await fetch(`${bed.gw.url}/health/live`);
    expect(live.status).toBe(200);
    expect(live.headers.get('ratelimit-policy')).toBeNull();
  });
});
